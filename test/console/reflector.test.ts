// The console's list-and-watch (console/web/model/reflector.ts) against a real apiserver, in Node (its
// fetch is the browser's API): events arrive as they happen; an apiserver restart is survived by
// re-watching from the last resourceVersion (no relist, nothing missed); a resourceVersion older than
// the server's history (410 Gone) relists; the user's token goes in the Authorization header.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { Resources } from '../../lib/api/resources';
import { KubeClient } from '../../lib/client/client';
import { Api } from '../../console/web/model/api';
import { Reflector } from '../../console/web/model/reflector';
import { Store } from '../../console/web/model/store';
import { waitFor } from '../helpers/wait';

jest.setTimeout(60_000);

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }] } });

describe('console reflector', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('survives an apiserver restart by resuming the watch; sees changes made after it', async () => {
    const dataDir = tmp();
    let server: RunningApiServer = await startApiServer({ host: '127.0.0.1', port: 0, dataDir });
    const port = server.port;
    const store = new Store((fn) => fn());
    const reflector = new Reflector(new Api(server.url, undefined), 'pods', store, { minBackoffMs: 50, maxBackoffMs: 200 });
    let client = KubeClient.forServer(server.url);
    try {
      await client.create(Resources.pods, 'default', pod('before'));
      reflector.start();
      await waitFor('listed', () => store.get('pods', 'default/before'));
      await client.create(Resources.pods, 'default', pod('watched'));
      await waitFor('watched event', () => store.get('pods', 'default/watched'));

      client.close();
      await server.close();
      await waitFor('reflector notices', () => reflector.state === 'retrying');
      server = await startApiServer({ host: '127.0.0.1', port, dataDir });
      client = KubeClient.forServer(server.url);
      await waitFor('watching again', () => reflector.state === 'watching', 10_000);
      await client.create(Resources.pods, 'default', pod('after-restart'));
      await waitFor('event after the restart', () => store.get('pods', 'default/after-restart'));
      await client.delete(Resources.pods, 'default', 'before', { gracePeriodSeconds: 0 });
      await waitFor('deletion after the restart', () => !store.get('pods', 'default/before'));
      expect(reflector.lists).toBe(1); // resumed, not relisted
    } finally {
      reflector.stop();
      client.close();
      await server.close();
    }
  });

  test('a pause longer than the server history ends in 410 Gone and a relist; a short one replays', async () => {
    const server = await startApiServer({ host: '127.0.0.1', port: 0, watchHistorySize: 20 });
    const client = KubeClient.forServer(server.url);
    const store = new Store((fn) => fn());
    const changes: string[] = [];
    store.onChange((c) => changes.push(`${c.type} ${c.next?.metadata?.name ?? c.prev?.metadata?.name}`));
    const reflector = new Reflector(new Api(server.url, undefined), 'pods', store, { minBackoffMs: 50 });
    try {
      reflector.start();
      await waitFor('watching', () => reflector.state === 'watching');
      reflector.pause();
      await client.create(Resources.pods, 'default', pod('p0'));
      await client.create(Resources.pods, 'default', pod('p1'));
      reflector.start();
      await waitFor('replayed', () => store.get('pods', 'default/p1'));
      expect(reflector.lists).toBe(1);
      expect(changes).toEqual(['ADDED p0', 'ADDED p1']);

      reflector.pause();
      for (let i = 2; i < 40; i++) await client.create(Resources.pods, 'default', pod(`p${i}`));
      reflector.start();
      await waitFor('relisted', () => store.list('pods').length === 40);
      expect(reflector.lists).toBe(2);
    } finally {
      reflector.stop();
      client.close();
      await server.close();
    }
  });

  test('sends the token as a bearer token; a wrong one is refused with the API\'s 401', async () => {
    const dir = tmp();
    const tokenFile = path.join(dir, 'tokens.csv');
    fs.writeFileSync(tokenFile, 'console-token,alice,1,"system:masters"\n');
    const server = await startApiServer({ host: '127.0.0.1', port: 0, tokenFile });
    try {
      const good = new Store((fn) => fn());
      const ok = new Reflector(new Api(server.url, 'console-token'), 'namespaces', good);
      ok.start();
      await waitFor('listed with the token', () => good.isSynced('namespaces'));
      ok.stop();
      const bad = new Store((fn) => fn());
      const refused = new Reflector(new Api(server.url, 'wrong'), 'namespaces', bad);
      refused.start();
      await waitFor('refused', () => refused.state === 'retrying');
      expect(refused.lastError?.message).toBe('Unauthorized');
      expect(bad.isSynced('namespaces')).toBe(false);
      refused.stop();
    } finally {
      await server.close();
    }
  });
});
