// /healthz, /livez and /readyz of a running apiserver: kube's answers (ok, ?verbose, ?exclude, a check's
// own path), open to anonymous clients; on etcd, a member that stops answering fails the `etcd` check
// within its 2 s and the endpoints answer 500 until it answers again.
import { startApiServer, RunningApiServer } from '../../apiserver';
import { startTestEtcd, TestEtcd } from '../helpers/etcd';
import { waitFor } from '../helpers/wait';

async function get(server: RunningApiServer, path: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('in memory', () => {
  let server: RunningApiServer;
  beforeAll(async () => {
    server = await startApiServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  test.each([
    ['/readyz', 200, 'ok'],
    ['/livez', 200, 'ok'],
    ['/healthz', 200, 'ok'],
    ['/readyz?verbose', 200, '[+]ping ok\n[+]storage ok\n[+]shutdown ok\nreadyz check passed\n'],
    ['/livez?verbose=1', 200, '[+]ping ok\n[+]storage ok\nlivez check passed\n'],
    ['/healthz?verbose&exclude=storage&exclude=etcd', 200, '[+]ping ok\n[+]storage excluded: ok\nwarn: some health checks cannot be excluded: no matches for "etcd"\nhealthz check passed\n'],
    ['/readyz/storage', 200, 'ok'],
    ['/livez/ping', 200, 'ok'],
  ])('GET %s: %i', async (path, status, body) => {
    const r = await get(server, path);
    expect([r.status, r.body, r.type]).toEqual([status, body, 'text/plain; charset=utf-8']);
  });

  test('an unknown check is 404', async () => {
    expect((await get(server, '/readyz/etcd')).status).toBe(404);
  });
});

describe('on etcd', () => {
  let etcd: TestEtcd;
  let server: RunningApiServer;
  let pid: number;
  beforeAll(async () => {
    etcd = await startTestEtcd();
    pid = etcd.members[0].pid!;
    server = await startApiServer({ port: 0, storage: 'etcd', etcdServers: etcd.endpoints, etcdCompactionIntervalMs: 0 });
  });
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await server?.close();
    await etcd?.stop();
  });

  test("a member that stops answering fails the etcd check, and answering again passes it", async () => {
    expect((await get(server, '/readyz?verbose')).body).toBe('[+]ping ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n');
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const failed = await get(server, '/readyz');
      expect(Date.now() - t0).toBeLessThan(4000);
      expect([failed.status, failed.body]).toEqual([500, '[+]ping ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n']);
      expect(await get(server, '/readyz/etcd')).toMatchObject({ status: 500, body: 'internal server error: timed out after 2000 ms\n' });
      expect((await get(server, '/livez?exclude=etcd')).status).toBe(200);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('/readyz to pass again', async () => ((await get(server, '/readyz')).status === 200 ? true : undefined), 15_000);
    expect((await get(server, '/healthz')).body).toBe('ok');
  });
});
