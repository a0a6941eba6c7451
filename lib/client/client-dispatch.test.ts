// KubeClient with an apiserver in its own process (DirectServer.dispatch): what it hands over and how it
// reads the answer, against a stand-in for the apiserver's dispatcher.
import type { InProcessRequest, InProcessResponse } from '../api/in-process';
import { Resources } from '../api/resources';
import { ApiError, KubeClient } from './client';

function clientWith(answer: (r: InProcessRequest) => Promise<InProcessResponse>): { client: KubeClient; seen: InProcessRequest[] } {
  const seen: InProcessRequest[] = [];
  const client = KubeClient.fromCredentials({ server: 'http://localhost', socketPath: '/nonexistent/apiserver.sock', token: 'tok', dispatch: (r) => (seen.push(r), answer(r)) });
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
