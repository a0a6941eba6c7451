// additionalListenHosts: the apiserver serves the same API on further addresses, on the port of its main
// listener (steer server's loopback apiserver also listens on the node's address for pods), and closes
// them all on close.
import * as http from 'node:http';
import { startTestApiServer } from '../helpers/apiserver';

const status = (url: string) =>
  new Promise<number>((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });

test('the same API on 127.0.0.1 and 127.0.0.2, one port; both closed on close', async () => {
  const api = await startTestApiServer({ additionalListenHosts: ['127.0.0.2'] });
  const port = new URL(api.url).port;
  expect(await status(`http://127.0.0.1:${port}/api/v1/namespaces/default`)).toBe(200);
  expect(await status(`http://127.0.0.2:${port}/api/v1/namespaces/default`)).toBe(200);
  await api.stop();
  await expect(status(`http://127.0.0.2:${port}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
});

test('an address it cannot listen on fails the start', async () => {
  await expect(startTestApiServer({ additionalListenHosts: ['192.0.2.250'] })).rejects.toThrow(/EADDRNOTAVAIL/);
});
