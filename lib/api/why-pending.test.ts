// The pending-pod diagnosis of `steer why pending`, on plain objects.
import type { Event, Node, Pod } from 'kubernetes-types/core/v1';
import { explainPod, renderExplanation, schedulingReasons } from './why-pending';

describe('why pending', () => {
  const base: Pod = { metadata: { name: 'p', namespace: 'default', creationTimestamp: new Date(0).toISOString() }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/nginx:9' }] }, status: { phase: 'Pending' } };
  const ev = (reason: string, message: string, type = 'Warning'): Event => ({ metadata: {}, involvedObject: {}, reason, message, type, lastTimestamp: new Date(1000).toISOString() });

  it('explains a scheduling failure per node with a hint', () => {
    const f = explainPod(base, [ev('FailedScheduling', '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable.')]);
    expect(f[0].area).toBe('scheduling');
    expect(f[0].details).toEqual(['1 Insufficient cpu', '2 node(s) were unschedulable']);
    expect(f[0].hint).toContain('uncordon');
    expect(schedulingReasons('0/1 nodes are available: 1 node(s) didn\'t match Pod\'s node affinity/selector.')).toEqual(["1 node(s) didn't match Pod's node affinity/selector"]);
  });
  it('says when no scheduler has looked at the pod', () => {
    expect(explainPod(base, [])[0].summary).toContain('no scheduler has reported');
  });
  it('explains an image pull failure with the event message', () => {
    const pod: Pod = {
      ...base,
      spec: { ...base.spec!, nodeName: 'n1' },
      status: { phase: 'Pending', containerStatuses: [{ name: 'c', image: '127.0.0.1:5000/nginx:9', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] },
    };
    const node: Node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    const f = explainPod(pod, [ev('Failed', 'Failed to pull image "127.0.0.1:5000/nginx:9": not found')], node);
    expect(f.map((x) => x.area)).toEqual(['image']);
    expect(f[0].details).toContain('Failed to pull image "127.0.0.1:5000/nginx:9": not found');
    expect(renderExplanation(pod, f)).toContain('[image] container c: cannot pull image 127.0.0.1:5000/nginx:9 (ImagePullBackOff)');
  });
  it('explains back-off, failing readiness and a NotReady node', () => {
    const pod: Pod = {
      ...base,
      spec: { ...base.spec!, nodeName: 'n1', containers: [{ name: 'c', image: 'i', readinessProbe: { httpGet: { port: 80, path: '/' } } }, { name: 'd', image: 'i' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
          { name: 'd', image: 'i', imageID: '', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3 } } },
        ],
      },
    };
    const node: Node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } };
    const f = explainPod(pod, [ev('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 500')], node);
    expect(f.map((x) => x.area)).toEqual(['node', 'probe', 'container']);
    expect(f[1].details).toEqual(['Readiness probe failed: HTTP probe failed with statuscode: 500']);
    expect(f[2].summary).toContain('CrashLoopBackOff');
    expect(f[2].details).toContain('last exit: code 3');
    expect(f[2].hint).toContain('--previous');
  });
});

