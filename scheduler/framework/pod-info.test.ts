// A pod's effective requests as kube's scheduler computes them (resourcehelper.PodRequests): containers
// summed, each init container beside the sidecars declared before it, sidecars also beside the
// containers, the pod overhead on top; kube's defaults for containers without requests in scoring.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { computePodRequests, computeScalarRequests } from './pod-info';

const c = (name: string, cpu?: string, extra: Partial<Container> = {}): Container => ({ name, image: 'x', ...(cpu ? { resources: { requests: { cpu } } } : {}), ...extra });
const sidecar = (name: string, cpu: string): Container => c(name, cpu, { restartPolicy: 'Always' });
const pod = (containers: Container[], initContainers: Container[] = [], overhead?: Record<string, string>): Pod => ({ spec: { containers, initContainers, overhead } });

describe('computePodRequests', () => {
  test.each<[string, Pod, boolean, number]>([
    ['containers are summed', pod([c('a', '100m'), c('b', '200m')]), false, 300],
    ['a larger init container wins', pod([c('a', '200m')], [c('i', '500m')]), false, 500],
    ['an init container after a sidecar runs beside it', pod([c('a', '200m')], [sidecar('s', '100m'), c('i', '500m')]), false, 600],
    ['an init container before a sidecar runs alone', pod([c('a', '200m')], [c('i', '500m'), sidecar('s', '100m')]), false, 500],
    ['sidecars add to the containers', pod([c('a', '200m')], [sidecar('s1', '100m'), sidecar('s2', '50m')]), false, 350],
    ['two sidecars, then an init container', pod([c('a', '200m')], [sidecar('s1', '100m'), sidecar('s2', '50m'), c('i', '300m')]), false, 450],
    ['scoring: an init container without requests counts the default 100m', pod([c('a', '50m')], [c('i')]), true, 100],
    ['scoring: nothing requested, one container', pod([c('a')]), true, 100],
    ['the overhead on top', pod([c('a', '100m')], [], { cpu: '250m' }), false, 350],
  ])('%s', (_name, p, nonZero, milliCpu) => {
    expect(computePodRequests(p, nonZero).milliCpu).toBe(milliCpu);
  });

  test('scalar resources follow the same rule', () => {
    const gpu = (name: string, n: string, extra: Partial<Container> = {}): Container => ({ name, image: 'x', resources: { requests: { 'example.com/gpu': n } }, ...extra });
    const p = pod([gpu('a', '1')], [gpu('s', '1', { restartPolicy: 'Always' }), gpu('i', '2')]);
    expect(computeScalarRequests(p).get('example.com/gpu')).toBe(3);
  });
});
