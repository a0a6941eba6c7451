// Query parameters on a real apiserver: booleans as apimachinery converts them (`watch=yes` watches,
// `watch=FALSE` lists) and integers refused with a 400 naming the parameter.
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

async function firstChunk(url: string): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  // A watch streams one event a line; a list ends after its one object.
  while (!text.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  ac.abort();
  return { status: res.status, contentType: res.headers.get('content-type'), body: JSON.parse(text.split('\n')[0]) as Record<string, unknown> };
}

test.each([
  ['yes', true],
  ['t', true],
  ['FALSE', false],
  ['0', false],
])('watch=%s is a watch: %p', async (value, watching) => {
  const r = await firstChunk(`${srv.url}/api/v1/namespaces?watch=${value}`);
  expect(r.status).toBe(200);
  if (watching) expect(r.body).toMatchObject({ type: 'ADDED', object: { kind: 'Namespace' } });
  else expect(r.body).toMatchObject({ kind: 'NamespaceList' });
});

test.each(['limit', 'timeoutSeconds', 'gracePeriodSeconds'])('%s=abc is a 400 naming it', async (name) => {
  const method = name === 'gracePeriodSeconds' ? 'DELETE' : 'GET';
  const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps${method === 'DELETE' ? '/none' : ''}?${name}=abc${name === 'timeoutSeconds' ? '&watch=1' : ''}`, { method });
  expect(res.status).toBe(400);
  const status = (await res.json()) as { reason: string; message: string };
  expect(status.reason).toBe('BadRequest');
  expect(status.message).toContain(name);
});
