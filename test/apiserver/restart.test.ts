// Durability: `steer apiserver --data-dir` is killed with SIGKILL while writes are in flight and
// restarted on the same directory: every acknowledged write is there with its resourceVersion, and a
// watch from an older resourceVersion resumes (or gets 410 when compacted). Needs `npm run build`.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeClient, WatchEvent } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';

const ROOT = path.join(__dirname, '..', '..');
const STEER = path.join(ROOT, 'bin', 'steer.js');

interface Running {
  child: ChildProcess;
  url: string;
}

function startSteer(dataDir: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STEER, 'apiserver', '--insecure-serving', '--listen', '127.0.0.1:0', '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`apiserver did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /serving on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${err}`)));
  });
}

function kill9(r: Running): Promise<void> {
  return new Promise((resolve) => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
    r.child.once('exit', () => resolve());
    r.child.kill('SIGKILL');
  });
}

type CM = { metadata: { name: string; resourceVersion: string }; data?: Record<string, string> };

let dir: string;
const running: Running[] = [];
beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-restart-'));
});
afterAll(async () => {
  for (const r of running) await kill9(r);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('acknowledged writes survive SIGKILL; watches resume from an older resourceVersion', async () => {
  const first = await startSteer(dir);
  running.push(first);
  let client = KubeClient.forServer(first.url);
  const acked = new Map<string, string>(); // name → resourceVersion acknowledged last
  const deleted = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const o = await client.create<CM>(Resources.configmaps, 'default', { metadata: { name: `cm-${i}` }, data: { v: '0' } } as unknown as CM);
    acked.set(o.metadata.name, o.metadata.resourceVersion);
  }
  const midRev = Number(acked.get('cm-29'));
  for (let i = 0; i < 10; i++) {
    const o = await client.patch<CM>(Resources.configmaps, 'default', `cm-${i}`, { data: { v: '1' } });
    acked.set(o.metadata.name, o.metadata.resourceVersion);
  }
  for (let i = 10; i < 15; i++) {
    await client.delete(Resources.configmaps, 'default', `cm-${i}`);
    acked.delete(`cm-${i}`);
    deleted.add(`cm-${i}`);
  }
  // A burst of concurrent creates: the process is killed as soon as half of them are acknowledged.
  let ackedInBurst = 0;
  const burst = Array.from({ length: 200 }, (_, i) =>
    client
      .create<CM>(Resources.configmaps, 'default', { metadata: { name: `burst-${i}` } } as unknown as CM)
      .then((o) => {
        acked.set(o.metadata.name, o.metadata.resourceVersion);
        if (++ackedInBurst === 100) void kill9(first);
      })
      .catch(() => undefined),
  );
  await Promise.all(burst);
  await kill9(first);
  client.close();
  expect(ackedInBurst).toBeGreaterThanOrEqual(100);

  const second = await startSteer(dir);
  running.push(second);
  client = KubeClient.forServer(second.url);
  const list = await client.list<CM>(Resources.configmaps, { namespace: 'default' });
  const stored = new Map(list.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
  for (const [name, rv] of acked) expect([name, stored.get(name)]).toEqual([name, rv]);
  for (const name of deleted) expect(stored.has(name)).toBe(false);
  expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Math.max(...[...acked.values()].map(Number)));

  // A watch from before the patches replays them, in order, after the restart.
  const events: Array<WatchEvent<CM>> = [];
  await new Promise<void>((resolve, reject) => {
    void client.watch<CM>(Resources.configmaps, { namespace: 'default', resourceVersion: String(midRev), timeoutSeconds: 1 }, (e) => events.push(e), (err) => (err ? reject(err) : resolve()));
  });
  const replay = events.filter((e) => e.type !== 'BOOKMARK');
  expect(replay.slice(0, 10).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(Array.from({ length: 10 }, (_, i) => `MODIFIED cm-${i}`));
  expect(replay.slice(10, 15).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(Array.from({ length: 5 }, (_, i) => `DELETED cm-${i + 10}`));
  const revs = replay.map((e) => Number(e.object.metadata.resourceVersion));
  expect(revs).toEqual([...revs].sort((a, b) => a - b));

  // New writes continue the revision sequence.
  const next = await client.create<CM>(Resources.configmaps, 'default', { metadata: { name: 'after-restart' } } as unknown as CM);
  expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(Number(list.metadata.resourceVersion));
  client.close();
  await kill9(second);
});
