// WebSocket v5 (`v5.channel.k8s.io`) terminated in the agent, the runtime reached over SPDY/3.1: kube's
// StreamTranslator (kube-apiserver ≥ 1.30 translates WebSocket to SPDY for kubelets; here the agent does
// it, because the agent is what knows that its runtime — containerd 1.6 — speaks WebSocket v4 at most).
// v4 has no way to half-close stdin; v5's CLOSE message ([255, channel]) becomes a FIN on the SPDY stdin
// stream, so `cat`, `tar xf -` and client-node's cpToPod see EOF. kubectl ≥ 1.30 (which offers v5 first)
// and @kubernetes/client-node take this path; SPDY clients (kubectl 1.20, and every kubectl's
// port-forward) and v4-only WebSocket clients still pass through as bytes (streaming.ts).
//
// Channels: 0 stdin → SPDY stdin, 4 resize → SPDY resize (JSON {Width, Height} both ways), SPDY stdout →
// 1, stderr → 2, the error stream's metav1.Status → 3 when the runtime ends the session, then close 1000.
import * as http from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { SpdyClientSession, type SpdyStream } from '../lib/component/spdy';
import { takeUpgrade, type ProxyHooks } from '../lib/component/upgrade';

export const V5_PROTOCOL = 'v5.channel.k8s.io';
const CLOSE_CHANNEL = 255;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
/** Output queued toward a slow client above which the runtime's connection is paused. */
const HIGH_WATER = 1 << 20;

export interface TranslatedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A WebSocket upgrade that offers v5 (which the agent terminates). */
export function offersV5(req: http.IncomingMessage): boolean {
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return false;
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .some((p) => p.trim() === V5_PROTOCOL);
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => (offered.has(V5_PROTOCOL) ? V5_PROTOCOL : false),
});

function statusWithoutAnswer(): Buffer {
  return Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message: 'error reading from error stream: the runtime closed the session without a status', reason: 'InternalError', code: 500 }));
}

/**
 * Serves one exec or attach upgrade that offered v5: connects to the runtime's streaming URL over SPDY
 * (its refusal is passed back as the answer, before any upgrade), then completes the client's WebSocket
 * handshake and translates until either side ends. hooks as for proxyUpgrade.
 */
export function translateToSpdy(req: http.IncomingMessage, res: http.ServerResponse, url: string, streams: TranslatedStreams, hooks: ProxyHooks = {}): void {
  const upstream = http.request(url, {
    method: 'POST',
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' },
    timeout: 30_000,
  });
  let answered = false;
  const clientSocket = req.socket;
  const abandon = () => {
    if (!answered) upstream.destroy();
  };
  clientSocket.once('close', abandon);
  // A client gone while the runtime was asked: its 'close' has passed (as in proxyUpgrade).
  if (clientSocket.destroyed || !clientSocket.readable) abandon();
  upstream.on('timeout', () => {
    if (!answered) upstream.destroy(new Error('timed out'));
  });
  upstream.on('response', (up) => {
    answered = true;
    clientSocket.off('close', abandon);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(up.headers)) if (k !== 'connection' && k !== 'transfer-encoding' && v !== undefined) headers[k] = v;
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
    hooks.onRefused?.(up.statusCode ?? 502);
  });
  upstream.on('error', (err) => {
    hooks.onError?.(err);
    if (answered) return;
    answered = true;
    if (res.headersSent || clientSocket.destroyed) {
      clientSocket.destroy();
      return;
    }
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `error dialing the runtime: ${err.message}`, reason: 'InternalError', code: 502 });
    res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  upstream.on('upgrade', (_up, socket, head) => {
    answered = true;
    clientSocket.off('close', abandon);
    socket.setTimeout(0);
    const session = new SpdyClientSession(socket, head);
    // The streams the runtime waits for (kube's v4 protocol over SPDY): error always, the others as asked.
    const error = session.openStream({ streamtype: 'error' });
    const stdin = streams.stdin ? session.openStream({ streamtype: 'stdin' }) : undefined;
    const stdout = streams.stdout ? session.openStream({ streamtype: 'stdout' }) : undefined;
    const stderr = streams.stderr && !streams.tty ? session.openStream({ streamtype: 'stderr' }) : undefined;
    const resize = streams.tty ? session.openStream({ streamtype: 'resize' }) : undefined;
    const client = takeUpgrade(req, res);
    let done = false;
    const finish = (clientFirst: boolean) => {
      if (done) return;
      done = true;
      res.statusCode = 101;
      res.emit('close');
      hooks.onClose?.(clientFirst);
    };
    // A handshake ws refuses (it answers 400 itself) or a client gone before it completes.
    client.socket.once('close', () => {
      session.destroy();
      finish(true);
    });
    wss.handleUpgrade(req, client.socket, client.head, (ws) => run(ws, session, { error, stdin, stdout, stderr, resize }, streams, hooks, finish));
  });
  upstream.end();
}

interface Streams {
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

function run(ws: WebSocket, session: SpdyClientSession, s: Streams, asked: TranslatedStreams, hooks: ProxyHooks, finish: (clientFirst: boolean) => void): void {
  hooks.onOpen?.();
  const count = hooks.onBytes;
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const msg = Buffer.allocUnsafe(data.length + 1);
    msg[0] = channel;
    data.copy(msg, 1);
    count?.('out', msg.length);
    if (ws.bufferedAmount + msg.length > HIGH_WATER && !session.socket.isPaused()) {
      session.socket.pause();
      ws.send(msg, () => session.socket.resume());
    } else {
      ws.send(msg);
    }
  };
  // The start signal: an empty message on the lowest channel the client reads (as kube's servers send).
  send(asked.stdout ? STDOUT : asked.stderr && !asked.tty ? STDERR : ERROR, Buffer.alloc(0));

  s.stdout?.on('data', (b: Buffer) => send(STDOUT, b));
  s.stderr?.on('data', (b: Buffer) => send(STDERR, b));
  const status: Buffer[] = [];
  s.error.on('data', (b: Buffer) => status.push(b));

  ws.on('message', (data: Buffer) => {
    count?.('in', data.length);
    if (data.length === 0) return;
    const payload = data.subarray(1);
    switch (data[0]) {
      case STDIN:
        if (s.stdin && payload.length && !s.stdin.write(payload)) {
          ws.pause();
          session.once('drain', () => ws.resume());
        }
        return;
      case RESIZE:
        if (s.resize && payload.length) s.resize.write(payload);
        return;
      case CLOSE_CHANNEL:
        if (payload[0] === STDIN) s.stdin?.end();
        else if (payload[0] === RESIZE) s.resize?.end();
        return;
      default:
        return;
    }
  });
  // The runtime ends the session (RST_STREAMs, GOAWAY, close) once the process is done and its Status written.
  session.on('goaway', () => session.destroy());
  session.on('close', () => {
    if (ws.readyState === WebSocket.OPEN) {
      const answer = Buffer.concat(status);
      send(ERROR, answer.length ? answer : statusWithoutAnswer());
      ws.close(1000);
    }
    finish(false);
  });
  ws.on('close', () => {
    session.destroy();
    finish(true);
  });
  ws.on('error', () => ws.terminate());
}
