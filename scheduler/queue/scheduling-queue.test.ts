import { SchedulingQueue } from './scheduling-queue';
import { KeyedHeap } from './heap';
import { PrioritySort } from '../plugins/queue-sort';
import { podInfo } from '../../test/fixtures/scheduler';
import type { ClusterEvent } from '../framework/types';

describe('KeyedHeap', () => {
  test('pops in order; update and delete by key', () => {
    const h = new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
    for (const [k, v] of [['a', 5], ['b', 1], ['c', 3], ['d', 4], ['e', 2]] as const) h.push({ k, v });
    h.push({ k: 'a', v: 0 }); // update moves it to the front
    expect(h.delete('c')?.v).toBe(3);
    const out: string[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.k);
    expect(out).toEqual(['a', 'b', 'e', 'd']);
  });
});

function newQueue(clock: { t: number }, eventPlugins?: Map<ClusterEvent, Set<string>>) {
  const sort = new PrioritySort();
  return new SchedulingQueue({ less: (a, b) => sort.less(a, b), now: () => clock.t, unschedulableFlushIntervalMs: 0, eventPlugins });
}

describe('SchedulingQueue', () => {
  let queues: SchedulingQueue[] = [];
  afterEach(() => {
    for (const q of queues) q.close();
    queues = [];
  });
  const make = (clock: { t: number }, ev?: Map<ClusterEvent, Set<string>>) => {
    const q = newQueue(clock, ev);
    queues.push(q);
    return q;
  };

  test('active queue: priority first, then age', () => {
    const clock = { t: 0 };
    const q = make(clock);
    q.add(podInfo('old-low', { priority: 0 }));
    clock.t = 1;
    q.add(podInfo('new-high', { priority: 100 }));
    clock.t = 2;
    q.add(podInfo('new-low', { priority: 0 }));
    expect([q.tryPop(), q.tryPop(), q.tryPop()].map((x) => x?.podInfo.pod.metadata?.name)).toEqual(['new-high', 'old-low', 'new-low']);
    expect(q.tryPop()).toBeUndefined();
  });

  test('back-off doubles from 1 s up to 10 s', () => {
    const q = make({ t: 0 });
    const item = { podInfo: podInfo('p'), timestamp: 0, initialAttemptTimestamp: 0, attempts: 1, unschedulablePlugins: new Set<string>() };
    const ds = [1, 2, 3, 4, 5, 6].map((attempts) => q.backoffDuration({ ...item, attempts }));
    expect(ds).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  test('a failed pod waits out its back-off before it is active again', () => {
    const clock = { t: 0 };
    const q = make(clock);
    q.add(podInfo('p'));
    const item = q.tryPop()!;
    q.addBackoff(item);
    expect(q.lengths()).toEqual({ active: 0, backoff: 1, unschedulable: 0, gated: 0 });
    clock.t = 999;
    q.flushBackoffCompleted();
    expect(q.tryPop()).toBeUndefined();
    clock.t = 1000;
    q.flushBackoffCompleted();
    expect(q.tryPop()?.attempts).toBe(2);
  });

  test('unschedulable pods wait for a relevant event, not a timer', () => {
    const clock = { t: 0 };
    const q = make(clock, new Map<ClusterEvent, Set<string>>([
      ['NodeAdd', new Set(['NodeResourcesFit'])],
      ['PodDelete', new Set(['NodeResourcesFit'])],
      ['NodeUpdate', new Set(['TaintToleration'])],
    ]));
    q.add(podInfo('p'));
    const item = q.tryPop()!;
    item.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulable(item, q.schedulingCycle);
    clock.t = 5000;
    q.flushBackoffCompleted();
    expect(q.lengths()).toEqual({ active: 0, backoff: 0, unschedulable: 1, gated: 0 });
    q.moveAllToActiveOrBackoff('NodeUpdate'); // not relevant to NodeResourcesFit
    expect(q.whereIs(item.podInfo.uid)).toBe('unschedulable');
    q.moveAllToActiveOrBackoff('NodeAdd');
    expect(q.whereIs(item.podInfo.uid)).toBe('active'); // back-off (1 s) already over
  });

  test('an event during the attempt sends the failed pod to back-off, not to the unschedulable set', () => {
    const q = make({ t: 0 });
    q.add(podInfo('p'));
    const item = q.tryPop()!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff('NodeAdd'); // e.g. a node joined while we were filtering
    q.addUnschedulable(item, cycle);
    expect(q.whereIs(item.podInfo.uid)).toBe('backoff');
  });

  test('the periodic flush retries pods left unschedulable too long', () => {
    const clock = { t: 0 };
    const q = make(clock);
    q.add(podInfo('p'));
    const item = q.tryPop()!;
    q.addUnschedulable(item, q.schedulingCycle);
    clock.t = 59_000;
    q.flushUnschedulableLeftover();
    expect(q.whereIs(item.podInfo.uid)).toBe('unschedulable');
    clock.t = 60_000;
    q.flushUnschedulableLeftover();
    expect(q.whereIs(item.podInfo.uid)).toBe('active');
  });

  test('status-only updates leave an unschedulable pod alone; spec changes retry it', () => {
    const clock = { t: 10_000 };
    const q = make(clock);
    const p = podInfo('p');
    q.add(p);
    const item = q.tryPop()!;
    q.addUnschedulable(item, q.schedulingCycle);
    clock.t = 20_000;
    const statusOnly = { ...p, pod: { ...p.pod, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } } };
    q.update(statusOnly);
    expect(q.whereIs(p.uid)).toBe('unschedulable');
    const tolerating = { ...p, pod: { ...p.pod, spec: { ...p.pod.spec!, tolerations: [{ operator: 'Exists' }] } } };
    q.update(tolerating);
    expect(q.whereIs(p.uid)).toBe('active');
  });

  test('a pod deleted while in flight is not re-added; an update in flight is kept', () => {
    const q = make({ t: 0 });
    const a = podInfo('a');
    const b = podInfo('b', { cpu: '1' });
    q.add(a);
    q.add(b);
    const ia = q.tryPop()!;
    const ib = q.tryPop()!;
    q.delete(a.uid);
    q.addBackoff(ia);
    expect(q.whereIs(a.uid)).toBeUndefined();
    const newer = { ...b, requests: { milliCpu: 500, memory: 0 } };
    q.update(newer);
    q.addBackoff(ib);
    expect(ib.podInfo).toBe(newer);
  });

  test('pods with scheduling gates wait until the last gate is removed', () => {
    const q = make({ t: 0 });
    const p = podInfo('gated');
    const withGates = (names: string[]) => ({ ...p, pod: { ...p.pod, spec: { ...p.pod.spec!, schedulingGates: names.map((name) => ({ name })) } } });
    q.add(withGates(['a', 'b']));
    expect(q.whereIs(p.uid)).toBe('gated');
    expect(q.tryPop()).toBeUndefined();
    q.update(withGates(['b']));
    expect(q.lengths()).toEqual({ active: 0, backoff: 0, unschedulable: 0, gated: 1 });
    q.update(withGates([]));
    expect(q.tryPop()?.podInfo.uid).toBe(p.uid);
  });

  test('pop waits for a pod', async () => {
    const q = make({ t: 0 });
    const popped = q.pop();
    q.add(podInfo('late'));
    expect((await popped)?.podInfo.pod.metadata?.name).toBe('late');
    q.close();
    expect(await q.pop()).toBeUndefined();
  });
});
