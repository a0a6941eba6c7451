// Upgrade proxying (lib/component/upgrade.ts) between loopback servers: a client that goes away while its
// request is still being authenticated or looked up (before proxyUpgrade) must not leave a session open on
// the next hop — its 'close' has passed by then, and a port-forward has nothing else to end it.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { forwardedHeaders, proxyUpgrade, serveUpgrades, upgradeOf } from '../../lib/component/upgrade';
import { waitFor } from '../helpers/wait';

jest.setTimeout(30_000);

function listen(server: http.Server): Promise<string> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

describe('proxyUpgrade', () => {
  const servers: http.Server[] = [];
  const sockets: Duplex[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('a client gone before the proxying began: the next hop is not asked (or its session ends), and onError releases', async () => {
    // The next hop upgrades anything and holds the session until its client goes.
    const nextHop = http.createServer();
    const upgradedThere: Duplex[] = [];
    nextHop.on('upgrade', (_req, socket: Duplex) => {
      upgradedThere.push(socket);
      sockets.push(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
      socket.resume();
    });
    const nextHopUrl = await listen(nextHop);
    servers.push(nextHop);

    const events: string[] = [];
    let reached = false;
    const front = http.createServer();
    serveUpgrades(front, (req, res) => {
      reached = true;
      // As a slow authentication would: proxying begins only once the client has gone.
      // (A server's sockets allow half-open ones: the client's FIN is an 'end', no 'close'.)
      const { socket } = upgradeOf(req)!;
      let began = false;
      const begin = () =>
        setImmediate(() => {
          if (began) return;
          began = true;
          const upstream = http.request(`${nextHopUrl}/portForward/ns/p`, { method: 'POST', headers: forwardedHeaders(req) });
          proxyUpgrade(req, res, upstream, {
            onOpen: () => events.push('open'),
            onClose: () => events.push('close'),
            onError: () => events.push('error'),
          });
        });
      socket.once('end', begin);
      socket.once('close', begin);
    });
    const frontUrl = await listen(front);
    servers.push(front);

    const req = http.request(`${frontUrl}/x`, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the request to reach the front server', () => reached);
    req.destroy();

    await waitFor('the abandoned proxying to report', () => events.length > 0, 10_000);
    expect(events).toEqual(['error']);
    // Nothing stays open on the next hop.
    await waitFor('no session on the next hop', () => upgradedThere.every((s) => s.destroyed), 10_000);
  });
});
