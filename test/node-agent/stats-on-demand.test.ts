// CRI stats cost containerd a walk of every container's cgroups: the node agent polls them only while
// someone reads them (its /metrics, /stats/summary), and an idle node pays nothing; the apiserver's
// metrics API asks for them only while its own requests come.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetricsResources } from '../../lib/api/resources';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { RunningNodeAgent, startNodeAgent } from '../../node-agent/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(15000);
jest.setTimeout(60_000);

test('stats are polled only while they are read, and a summary read collects them at once', async () => {
  // The metrics API would scrape every 50 ms while wanted: nobody asks for metrics until the end.
  const api: TestApiServer = await startTestApiServer({ metricResolutionMs: 50 });
  const runtime = new FakeRuntime({ images: ['busybox:1.35'] });
  let statsCalls = 0;
  const stats = runtime.containerStats.bind(runtime);
  runtime.containerStats = () => {
    statsCalls++;
    return stats();
  };
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-stats-test-'));
  let agent: RunningNodeAgent | undefined;
  try {
    agent = await startNodeAgent({ client: api.client, nodeName: 'stats-node', runtime, stateDir, cgroupFs: false, address: '127.0.0.1', port: 0, statsIntervalMs: 20, log: () => undefined });
    // Nobody reads: several intervals go by without a stats call.
    await new Promise((r) => setTimeout(r, 300));
    expect(statsCalls).toBe(0);
    expect(api.server.metricsApi.scrapes()).toBe(0);
    // A summary read collects at once.
    await agent.agent.freshContainerUsage();
    expect(statsCalls).toBe(1);
    // While read (as by repeated scrapes), the poll runs again. Read on every check: one read keeps it
    // going 3 intervals (60 ms), which timers late under CI load can miss.
    await waitFor('polling resumed', async () => {
      agent!.agent.containerUsage();
      return statsCalls >= 3;
    });
    // A metrics API request: a pair of scrapes, the second measured for it, and the node's usage served.
    const before = statsCalls;
    const nodes = await api.client.list<{ metadata: { name: string } }>(MetricsResources.nodes);
    expect(nodes.items.map((n) => n.metadata.name)).toEqual(['stats-node']);
    expect(api.server.metricsApi.scrapes()).toBeGreaterThanOrEqual(2);
    expect(statsCalls).toBeGreaterThan(before);
  } finally {
    await agent?.stop();
    await api.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});
