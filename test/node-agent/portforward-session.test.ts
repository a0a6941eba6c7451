// The agent's own port-forward sessions (node-agent/portforward.ts) on a loopback HTTP server, with a pod
// whose connections the test makes: however a session ends, it is closed once (onClose, which releases
// the agent's session reservation and open-session gauge) and its client socket is gone. Bytes the client
// sends for a pod connection that is already over are dropped: written to the destroyed connection they
// paused the session's reads for good, so the client leaving was never seen (kubectl 1.20's request racing
// a refused port left its session open, and the agent's server could not stop).
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { controlFrame, SpdyClientSession, type SpdyStream } from '../../lib/component/spdy';
import { serveUpgrades } from '../../lib/component/upgrade';
import { servePortForward, type PodPorts } from '../../node-agent/portforward';
import { waitFor } from '../helpers/wait';

jest.setTimeout(30_000);

interface Served {
  url: string;
  /** What the session reported, in order ('open', 'close'). */
  events: string[];
  /** The agent's side of each client connection. */
  sockets: Duplex[];
  close(): Promise<void>;
}

async function serve(pod: PodPorts): Promise<Served> {
  const events: string[] = [];
  const sockets: Duplex[] = [];
  const server = http.createServer();
  const upgraded = serveUpgrades(server, (req, res) => {
    sockets.push(req.socket);
    const ports = new URL(req.url ?? '/', 'http://x').searchParams.getAll('ports').map(Number);
    servePortForward(req, res, pod, ports, { onOpen: () => events.push('open'), onClose: () => events.push('close') });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    events,
    sockets,
    // As the agent's server stops: its upgraded connections are destroyed, or close would wait for them.
    close: () =>
      new Promise<void>((r) => {
        upgraded.closeAll();
        server.close(() => r());
      }),
  };
}

/** A SPDY port-forward session, as kubectl opens one. */
function spdyClient(url: string): Promise<SpdyClientSession> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/portForward/ns/p`, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
    req.on('upgrade', (_res, socket: Duplex, head: Buffer) => resolve(new SpdyClientSession(socket, head)));
    req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** What a stream brings until its end. */
function collect(s: SpdyStream): Promise<string> {
  let text = '';
  s.on('data', (b: Buffer) => (text += b.toString()));
  return new Promise((r) => s.once('end', () => r(text)));
}

/** A stand-in for a connection to a pod port: what the agent writes is kept (or, `stalled`, never taken). */
class PodConnection {
  readonly received: Buffer[] = [];
  readonly conn: Duplex;
  constructor(stalled = false) {
    this.conn = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => {
        if (stalled) return;
        this.received.push(chunk);
        cb();
      },
    });
  }
}

/** A pod whose connections fail right after they are made, as the runtime's does for a closed port. */
const refusingPod = (made: PodConnection[]): PodPorts => ({
  name: 'p',
  uid: 'u',
  dial: async () => {
    const c = new PodConnection();
    made.push(c);
    setImmediate(() => c.conn.destroy(new Error('connect: connection refused')));
    return c.conn;
  },
});

/** A pod whose connections stay open until the test ends them. */
const openPod = (made: PodConnection[], stalled = false): PodPorts => ({
  name: 'p',
  uid: 'u',
  dial: async () => {
    const c = new PodConnection(stalled);
    made.push(c);
    return c.conn;
  },
});

describe("the agent's port-forward sessions end once, however they end", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('SPDY: bytes for a pod connection that is over are dropped, and the client leaving then ends the session', async () => {
    const made: PodConnection[] = [];
    served = await serve(refusingPod(made));
    const client = await spdyClient(served.url);
    const error = client.openStream({ streamType: 'error', port: '8089', requestID: '0' });
    const data = client.openStream({ streamType: 'data', port: '8089', requestID: '0' });
    const [message, dataText] = await Promise.all([collect(error), collect(data)]);
    expect(message).toBe('error forwarding port 8089 to pod p, uid u: connect: connection refused');
    expect(dataText).toBe('');
    // The pod connection has closed (the error stream ended with it): kubectl's request comes after.
    expect(made[0].conn.destroyed).toBe(true);
    data.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    // Read (and handled: the session reads as bytes come) before what follows, which comes in a later read.
    await waitFor('the agent to read the request', () => (served!.sockets[0] as Socket).bytesRead === (client.socket as Socket).bytesWritten);
    data.end();
    client.socket.end();
    await waitFor('the session to end', () => served!.events.includes('close'), 10_000);
    expect(served.events).toEqual(['open', 'close']);
    await waitFor("the agent's side of the connection to close", () => served!.sockets[0].destroyed, 10_000);
  });

  it('SPDY: a client that sends GOAWAY and goes ends the session and its open pod connections', async () => {
    const made: PodConnection[] = [];
    served = await serve(openPod(made));
    const client = await spdyClient(served.url);
    client.openStream({ streamType: 'error', port: '80', requestID: '0' });
    const data = client.openStream({ streamType: 'data', port: '80', requestID: '0' });
    data.write(Buffer.from('hello'));
    await waitFor('the pod connection', () => made.length === 1 && made[0].received.length > 0);
    const goaway = Buffer.alloc(8);
    goaway.writeUInt32BE(3, 0);
    client.socket.write(controlFrame(7, 0, goaway));
    client.socket.end();
    await waitFor('the session to end', () => served!.events.includes('close'), 10_000);
    expect(served.events).toEqual(['open', 'close']);
    expect(made[0].conn.destroyed).toBe(true);
  });

  it('SPDY: a client connection destroyed mid-transfer, with the session paused for a full pod connection, ends the session', async () => {
    const made: PodConnection[] = [];
    served = await serve(openPod(made, true));
    const client = await spdyClient(served.url);
    client.openStream({ streamType: 'error', port: '80', requestID: '0' });
    const data = client.openStream({ streamType: 'data', port: '80', requestID: '0' });
    await waitFor('the pod connection', () => made.length === 1);
    // The pod reads nothing: its buffer fills and the session's reads pause.
    data.write(Buffer.alloc(256 * 1024, 1));
    await waitFor('the session to pause', () => served!.sockets[0].isPaused());
    client.socket.destroy();
    // The paused session cannot see the client go; the pod connection closing (as a pod's does) lets it.
    made[0].conn.destroy();
    await waitFor('the session to end', () => served!.events.includes('close'), 10_000);
    expect(served.events).toEqual(['open', 'close']);
  });

  it('a server that stops ends its open sessions, SPDY and WebSocket, and closes', async () => {
    const made: PodConnection[] = [];
    served = await serve(openPod(made));
    const client = await spdyClient(served.url);
    client.openStream({ streamType: 'error', port: '80', requestID: '0' });
    client.openStream({ streamType: 'data', port: '80', requestID: '0' });
    const ws = new WebSocket(`${served.url.replace('http', 'ws')}/portForward/ns/p?ports=80`, ['v4.channel.k8s.io']);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    await waitFor('both pod connections', () => made.length === 2);
    const stopped = served;
    served = undefined;
    await stopped.close();
    // The server has closed; its sockets' 'close' (which ends the sessions) follows.
    await waitFor('both sessions to end', () => stopped.events.length === 4, 10_000);
    expect(stopped.events).toEqual(['open', 'open', 'close', 'close']);
    expect(made.every((c) => c.conn.destroyed)).toBe(true);
    await waitFor('the clients to see their connections close', () => client.isClosed && ws.readyState === WebSocket.CLOSED, 10_000);
  });

  it('WebSocket: a client gone without a close handshake ends the session and its pod connections; a refused port closes it', async () => {
    const made: PodConnection[] = [];
    served = await serve(openPod(made));
    const ws = new WebSocket(`${served.url.replace('http', 'ws')}/portForward/ns/p?ports=80`, ['v4.channel.k8s.io']);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    await waitFor('the pod connection', () => made.length === 1);
    ws.terminate();
    await waitFor('the session to end', () => served!.events.includes('close'), 10_000);
    expect(served.events).toEqual(['open', 'close']);
    expect(made[0].conn.destroyed).toBe(true);
    await served.close();

    served = await serve(refusingPod([]));
    const refused = new WebSocket(`${served.url.replace('http', 'ws')}/portForward/ns/p?ports=8089`, ['v4.channel.k8s.io']);
    let error = '';
    refused.on('message', (m: Buffer) => {
      if (m[0] === 1 && m.length > 3) error += m.subarray(1).toString();
    });
    refused.on('open', () => refused.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\n\r\n')])));
    await new Promise((r) => refused.once('close', r));
    expect(error).toContain('error forwarding port 8089 to pod p, uid u: connect: connection refused');
    await waitFor('the session to end', () => served!.events.includes('close'), 10_000);
    expect(served.events).toEqual(['open', 'close']);
  });
});
