// The metrics API scrapes only while requests want metrics: none while nobody asks, a pair of scrapes
// for a request that finds no current data, one per interval while requests come, none again once they
// stop. The agents are a stub endpoint; the clock is jest's.
import type * as http from 'node:http';
import { EventEmitter } from 'node:events';
import type { KubeletClient } from '../kubelet-client';
import type { Storage } from '../storage/types';
import { Scraper } from './scraper';
import { MetricsStore } from './store';

const NODE = { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } };

/** A storage holding one Node, and a kubelet client answering each /stats/resource with a CPU count that grows 1 s of CPU per call. */
function fixture() {
  const paths: string[] = [];
  const storage = { list: async () => ({ items: [{ obj: NODE }] }) } as unknown as Storage;
  let cpuSeconds = 0;
  const client: KubeletClient = {
    scheme: 'http',
    request() {
      throw new Error('the scraper only GETs');
    },
    get(target, onResponse) {
      paths.push(target.path);
      cpuSeconds++;
      const res = new EventEmitter() as http.IncomingMessage;
      res.statusCode = 200;
      const body = JSON.stringify({ items: [{ node: { nodeName: 'n1', cpu: { time: new Date().toISOString(), usageCoreNanoSeconds: cpuSeconds * 1e9 }, memory: { time: new Date().toISOString(), workingSetBytes: 1 } } }] });
      setImmediate(() => {
        onResponse(res);
        res.emit('data', Buffer.from(body));
        res.emit('end');
      });
      return new EventEmitter() as http.ClientRequest;
    },
  };
  return { paths, storage, client };
}

/** Moves jest's clock in 100 ms steps until `p` settles (its scrapes answer on real setImmediate turns). */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i++) await jest.advanceTimersByTimeAsync(100);
  return p;
}

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] }));
afterEach(() => jest.useRealTimers());

test('no scrapes until a request wants metrics; a cold request waits for two, the second measured anew', async () => {
  const f = fixture();
  const store = new MetricsStore();
  const scraper = new Scraper(f.storage, () => f.client, store, { resolutionMs: 15_000, idleAfterMs: 60_000, coldGapMs: 1000 });
  scraper.start();
  await jest.advanceTimersByTimeAsync(120_000);
  expect(scraper.scrapes).toBe(0);
  expect(scraper.active()).toBe(false);

  await settle(scraper.want());
  expect(f.paths).toEqual(['/stats/resource', '/stats/resource?maxAgeMs=0']);
  // 1 s of CPU between the two measurements, over the gap (≥ 1 s).
  const usage = store.node('n1')!;
  expect(usage.windowMs).toBeGreaterThanOrEqual(1000);
  expect(usage.nanoCores).toBeCloseTo(1e12 / usage.windowMs);
  expect(scraper.active()).toBe(true);

  // Requests within the interval are answered at once from the current data, without a scrape.
  await settle(scraper.want());
  expect(scraper.scrapes).toBe(2);
  scraper.stop();
});

test('scrapes once per interval while requests come, and stops when they have not come for idleAfterMs', async () => {
  const f = fixture();
  const scraper = new Scraper(f.storage, () => f.client, new MetricsStore(), { resolutionMs: 15_000, idleAfterMs: 60_000, coldGapMs: 1000 });
  scraper.start();
  await settle(scraper.want());
  // An HPA's sync every 15 s for two minutes: one scrape per interval, each answer at once.
  for (let i = 0; i < 8; i++) {
    await jest.advanceTimersByTimeAsync(15_000);
    await settle(scraper.want());
  }
  const whileWanted = scraper.scrapes;
  expect(whileWanted).toBeGreaterThanOrEqual(2 + 7);
  expect(whileWanted).toBeLessThanOrEqual(2 + 9);
  // Nobody asks any more: at most idleAfterMs of scrapes, then none.
  await jest.advanceTimersByTimeAsync(60_000 + 15_000);
  expect(scraper.active()).toBe(false);
  const stoppedAt = scraper.scrapes;
  await jest.advanceTimersByTimeAsync(10 * 60_000);
  expect(scraper.scrapes).toBe(stoppedAt);
  scraper.stop();
});
