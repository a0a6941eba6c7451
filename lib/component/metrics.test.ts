import { runWorkers } from '../client/controller';
import { componentRegistry, counter, metricsResponse } from './metrics';
import { WorkQueue } from '../client/workqueue';

describe('one metrics registry per component', () => {
  it('gets or creates a metric by name per registry, never across registries', () => {
    const a = counter({ name: 'test_metrics_things_total', help: 'h' }, componentRegistry('scheduler'));
    const again = counter({ name: 'test_metrics_things_total', help: 'h' }, componentRegistry('scheduler'));
    const other = counter({ name: 'test_metrics_things_total', help: 'h' }, componentRegistry('apiserver'));
    expect(again).toBe(a);
    expect(other).not.toBe(a);
    expect(componentRegistry('scheduler')).toBe(componentRegistry('scheduler'));
    expect(componentRegistry('scheduler')).not.toBe(componentRegistry('apiserver'));
  });

  it("serves a component's own series and the process metrics once, not another component's", async () => {
    counter({ name: 'test_metrics_apiserver_only_total', help: 'h' }, componentRegistry('apiserver')).inc();
    const api = await metricsResponse('apiserver');
    const agent = await metricsResponse('node-agent');
    expect(api.body).toContain('test_metrics_apiserver_only_total 1');
    expect(agent.body).not.toContain('test_metrics_apiserver_only_total');
    for (const r of [api, agent]) {
      expect(r.contentType).toMatch(/^text\/plain/);
      expect(r.body.match(/^# TYPE process_resident_memory_bytes gauge$/gm)).toHaveLength(1);
      expect(r.body).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    }
  });

  it("counts a work queue and its reconciles in the queue's component registry", async () => {
    const q = new WorkQueue<string>('metrics-agent-queue', { registry: componentRegistry('node-agent') });
    q.add('a');
    const done = runWorkers(q, 1, async () => undefined);
    while (q.len() > 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    q.shutDown();
    await done;
    const agent = (await metricsResponse('node-agent')).body;
    const controllers = (await metricsResponse('controllers')).body;
    expect(agent).toMatch(/workqueue_adds_total\{name="metrics-agent-queue"\} 1/);
    expect(agent).toMatch(/controller_runtime_reconcile_total\{controller="metrics-agent-queue",result="success"\} 1/);
    expect(controllers).not.toContain('metrics-agent-queue');
  });
});
