// KubeClient with an apiserver in its own process (DirectServer.inProcess): what it hands over and how it
// reads the answer, against a stand-in for the apiserver's in-process API.
import type { InProcessRequest, InProcessResponse, InProcessStreamSink } from '../api/in-process';
import { Resources } from '../api/resources';
import { ApiError, KubeClient, type WatchEvent } from './client';

function clientWith(answer: (r: InProcessRequest) => Promise<InProcessResponse>): { client: KubeClient; seen: InProcessRequest[] } {
  const seen: InProcessRequest[] = [];
  const client = KubeClient.fromCredentials({
    server: 'http://localhost',
    socketPath: '/nonexistent/apiserver.sock',
    token: 'tok',
    inProcess: {
      request: (r) => (seen.push(r), answer(r)),
      stream: () => {
        throw new Error('no streams here');
      },
    },
  });
  return { client, seen };
}

test('the request carries method, path with the query, token, accept and content type, and the JSON body', async () => {
  const { client, seen } = clientWith(async () => ({ statusCode: 200, contentType: 'application/json', body: '{"kind":"PodList","items":[]}\n' }));
  expect(await client.list(Resources.pods, { namespace: 'default', labelSelector: 'app=web,tier in (a b)', limit: 2 })).toEqual({ kind: 'PodList', items: [] });
  expect(seen[0]).toEqual({ method: 'GET', path: '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Ctier+in+%28a+b%29&limit=2', headers: { accept: 'application/json', authorization: 'Bearer tok' }, body: undefined });
  await client.patch(Resources.pods, 'default', 'p', { metadata: { labels: { a: 'b' } } }, 'merge');
  expect(seen[1]).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/default/pods/p', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"a":"b"}}}' });
});

test('4xx/5xx answers become ApiErrors with their Status; text answers stay text', async () => {
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "p" not found' };
  const { client } = clientWith(async (r) => (r.path.endsWith('/p') ? { statusCode: 404, contentType: 'application/json', body: JSON.stringify(status) } : { statusCode: 200, contentType: 'text/plain', body: 'ok' }));
  const err = await client.get(Resources.pods, 'default', 'p').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).status).toEqual(status);
  expect(await client.request('GET', '/healthz')).toBe('ok');
});

test('a request with timeoutMs that gets no answer fails with ETIMEDOUT', async () => {
  const { client } = clientWith(() => new Promise(() => undefined));
  await expect(client.request('GET', '/api/v1/namespaces', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
});

function watchOn(stream: (r: InProcessRequest, sink: InProcessStreamSink) => { stop(): void }) {
  const client = KubeClient.fromCredentials({ server: 'http://localhost', token: 'tok', inProcess: { request: () => Promise.reject(new Error('no requests here')), stream } });
  const events: Array<WatchEvent<unknown>> = [];
  const closed = new Promise<Error | undefined>((resolve) => void client.watch(Resources.pods, { namespace: 'default', resourceVersion: '5' }, (e) => events.push(e), resolve));
  return { events, closed };
}

test('a watch reads events split anywhere across pieces, in order, then closes without an error', async () => {
  let asked: InProcessRequest | undefined;
  const { events, closed } = watchOn((r, sink) => {
    asked = r;
    setImmediate(() => {
      sink.data('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
      sink.data('FIED","object":{"metadata":{"name":"a"}}}\n\n{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n');
      sink.end({ statusCode: 200, contentType: 'application/json', body: '' });
    });
    return { stop: () => undefined };
  });
  expect(await closed).toBeUndefined();
  expect(asked).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/default/pods?resourceVersion=5&watch=true', headers: { authorization: 'Bearer tok' } });
  expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
});

test('a watch answered 410 closes with that ApiError; a broken stream with its error; a malformed line stops it', async () => {
  const gone = watchOn((_r, sink) => {
    setImmediate(() => sink.end({ statusCode: 410, contentType: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' }) }));
    return { stop: () => undefined };
  });
  expect(await gone.closed).toMatchObject({ code: 410, status: { reason: 'Expired' } });
  const broken = watchOn((_r, sink) => {
    setImmediate(() => sink.end(Object.assign(new Error('reset'), { code: 'ECONNRESET' })));
    return { stop: () => undefined };
  });
  expect(await broken.closed).toMatchObject({ code: 'ECONNRESET' });
  let stops = 0;
  const malformed = watchOn((_r, sink) => {
    setImmediate(() => sink.data('{"type":"ADDED","object":{}}\nnot json\n{"type":"ADDED","object":{}}\n'));
    return { stop: () => void stops++ };
  });
  expect((await malformed.closed)?.message).toMatch(/malformed event line/);
  expect(malformed.events).toHaveLength(1);
  expect(stops).toBe(1);
});
