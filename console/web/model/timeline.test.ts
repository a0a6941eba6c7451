// The convergence timeline from a sequence of Deployment states, as watch events deliver them.
import { Store } from './store';
import { Timelines } from './timeline';

function deployment(replicas: number, ready: number, generation = 1, rv = '1') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation, resourceVersion: rv },
    spec: { replicas },
    status: { observedGeneration: generation, replicas: Math.max(ready, replicas), readyReplicas: ready, updatedReplicas: Math.max(ready, replicas), availableReplicas: ready },
  };
}

test('records desire, each observed step and Δ reaching 0 with the time it took', () => {
  let now = 1000;
  const store = new Store(() => undefined, () => now);
  const tl = new Timelines().attach(store);
  store.reset('deployments', [deployment(1, 1)]);
  now = 2000;
  store.event('deployments', 'MODIFIED', deployment(3, 1, 2, '2'));
  now = 2500;
  store.event('deployments', 'MODIFIED', deployment(3, 2, 2, '3'));
  now = 3500;
  store.event('deployments', 'MODIFIED', deployment(3, 3, 2, '4'));
  const e = tl.entries('deployments', 'default/web');
  expect(e.map((x) => x.type)).toEqual(['seen', 'desired', 'observed', 'converged']);
  expect(e[1].text).toBe('desired 1 → 3; Δ 2');
  expect(e[2].text).toContain('ready 2/3');
  expect(e[3].text).toMatch(/^Δ reached 0 in 1\.5 s/);
  expect(e[3].at).toBe(3500);
});

test('a drift without a change of desire is timed from when it started; deletion is recorded', () => {
  let now = 0;
  const store = new Store(() => undefined, () => now);
  const tl = new Timelines().attach(store);
  store.reset('deployments', [deployment(2, 2)]);
  now = 100;
  store.event('deployments', 'MODIFIED', deployment(2, 1, 1, '2'));
  now = 400;
  store.event('deployments', 'MODIFIED', deployment(2, 2, 1, '3'));
  now = 500;
  store.event('deployments', 'DELETED', deployment(2, 2, 1, '4'));
  const e = tl.entries('deployments', 'default/web');
  expect(e.map((x) => x.type)).toEqual(['seen', 'observed', 'converged', 'deleted']);
  expect(e[2].text).toMatch(/in 0\.3 s/);
});
