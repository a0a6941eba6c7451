// The exec bench's download client, run as a child process so that its work is not on the event loop of
// the apiserver and node agent under test (a user's client is another process too). One HTTP/1.0 GET of
// /big, read to its end; prints `<bytes> <ms> <this process's CPU ms> <reads or messages>` on stdout.
//   node dist/bench/exec-download.js tcp HOST PORT        a TCP connection (the pod IP, or a local port
//                                                        a `kubectl port-forward` listens on)
//   node dist/bench/exec-download.js ws URL               a port-forward WebSocket (v4, `?ports=P` in the
//                                                        URL): containerd's own, the agent's or the apiserver's
//   node dist/bench/exec-download.js spdy URL PORT        a port-forward over SPDY/3.1 (kubectl's protocol,
//                                                        lib/component/spdy.ts's client): containerd's own
import * as http from 'node:http';
import * as net from 'node:net';
import WebSocket from 'ws';
import { SpdyClientSession } from '../lib/component/spdy';

const REQUEST = Buffer.from('GET /big HTTP/1.0\r\n\r\n');

let chunks = 0;

function done(bytes: number, start: number): void {
  const cpu = process.cpuUsage();
  process.stdout.write(`${bytes} ${(performance.now() - start).toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(0)} ${chunks}\n`);
  process.exit(0);
}

function fail(err: Error): void {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

function tcp(host: string, port: number): void {
  const start = performance.now();
  let bytes = 0;
  const sock = net.connect(port, host, () => sock.write(REQUEST));
  sock.on('data', (b: Buffer) => {
    bytes += b.length;
    chunks++;
  });
  sock.on('end', () => done(bytes, start));
  sock.on('error', fail);
}

/** channel.k8s.io framing: byte 0 the channel (2i data, 2i+1 error), and each channel's first two bytes the port. */
function ws(url: string): void {
  const start = performance.now();
  let bytes = 0;
  const prefixSeen = [false, false];
  const sock = new WebSocket(url, ['v4.channel.k8s.io'], { perMessageDeflate: false });
  sock.on('open', () => sock.send(Buffer.concat([Buffer.from([0]), REQUEST])));
  sock.on('message', (d: Buffer) => {
    const ch = d[0];
    if (ch !== 0 && ch !== 1) return;
    let payload = d.length - 1;
    if (!prefixSeen[ch]) {
      prefixSeen[ch] = true;
      payload -= 2;
    }
    if (ch === 0) {
      bytes += payload;
      chunks++;
    }
    else if (payload > 0) fail(new Error(`port-forward error: ${d.subarray(3).toString()}`));
  });
  sock.on('close', () => done(bytes, start));
  sock.on('error', fail);
  sock.on('unexpected-response', (_q, res) => fail(new Error(`HTTP ${res.statusCode}`)));
}

/** kubectl's port-forward streams for one connection: an error and a data stream, named by port and request ID. */
function spdy(url: string, port: string): void {
  const start = performance.now();
  let bytes = 0;
  const req = http.request(url, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
  req.on('upgrade', (_res, socket, head) => {
    const session = new SpdyClientSession(socket, head);
    const error = session.openStream({ streamType: 'error', port, requestID: '0' });
    error.on('data', (d: Buffer) => fail(new Error(`port-forward error: ${d.toString()}`)));
    const data = session.openStream({ streamType: 'data', port, requestID: '0' });
    data.on('data', (d: Buffer) => {
      bytes += d.length;
      chunks++;
    });
    data.on('end', () => done(bytes, start));
    data.write(REQUEST);
  });
  req.on('response', (res) => fail(new Error(`HTTP ${res.statusCode}`)));
  req.on('error', fail);
  req.end();
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'tcp') tcp(a, Number(b));
else if (mode === 'ws') ws(a);
else if (mode === 'spdy') spdy(a, b);
else fail(new Error('usage: exec-download.js tcp HOST PORT | ws URL | spdy URL PORT'));
