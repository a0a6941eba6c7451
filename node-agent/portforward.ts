// Port-forward served by the agent itself: the client's protocol is terminated here and each forwarded
// connection is a TCP connection the agent opens to the port in the pod's network namespace. containerd
// 1.6's streaming server reached only 0.16× a direct connection's throughput, so relaying to it could not
// serve bulk transfers; kube's semantics (kubelet's portforward/httpstream.go and websocket.go) are kept:
// - SPDY/3.1 (`portforward.k8s.io`; kubectl's way): the client opens an error and a data stream per
//   connection, named by `port` and paired by `requestID`; the agent dials when the pair is complete, copies
//   both ways (the client's FIN half-closes the pod connection; the pod's EOF is the data stream's FIN),
//   and a failure is written on the error stream as "error forwarding port N to pod P, uid U: cause";
// - WebSocket (`v4.channel.k8s.io`, `channel.k8s.io` and their base64 forms; client-node's way): the ports
//   come from `?ports=`, port i has channels 2i (data) and 2i+1 (error), each starting with the port
//   (uint16 little-endian); one connection per port; the WebSocket closes once every connection ends.
//   Other WebSocket protocols (kubectl ≥ 1.31's SPDY tunnelling) are refused with 403, as containerd
//   refuses them, and kubectl falls back to SPDY.
// The client going away destroys every pod connection of its session.
import * as http from 'node:http';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { SpdyClientSession } from '../lib/component/spdy';
import { SpdyServerSession, type SpdyServerStream } from '../lib/component/spdy-server';
import { takeUpgrade, upgradeOf, type ProxyHooks } from '../lib/component/upgrade';
import { OUTPUT_QUEUE, pooledConnection, readPooled } from '../lib/component/pooled-reads';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** WebSocket protocols served, binary and base64 (kube's portforward/websocket.go). */
const WS_BINARY = ['v4.channel.k8s.io', 'channel.k8s.io'];
const WS_BASE64 = ['v4.base64.channel.k8s.io', 'base64.channel.k8s.io'];
/** How long a stream waits for its pair (kube's StreamCreationTimeout default). */
export const STREAM_PAIR_TIMEOUT_MS = 30_000;
/** Output queued toward a slow WebSocket client (base64 messages, which ws frames) above which the pod connections are paused. */
const HIGH_WATER = 4 << 20;


/** The pod whose ports are forwarded, as the agent reaches it. */
export interface PodPorts {
  /** The pod and uid in error messages (containerd's streaming server names the sandbox, with no uid). */
  readonly name: string;
  readonly uid: string;
  /** A connection to the port in the pod's network namespace; rejects with the cause when none can be made. */
  dial(port: number): Promise<Duplex>;
}

export function forwardError(pod: PodPorts, port: number, cause: string): string {
  return `error forwarding port ${port} to pod ${pod.name}, uid ${pod.uid}: ${cause}`;
}

// ---- SPDY stream pairs (pure bookkeeping) --------------------------------------------------------

export interface StreamInfo {
  id: number;
  headers: Readonly<Record<string, string>>;
}

export type StreamType = 'data' | 'error';

/** The port a stream names (kube's messages when it names none or a bad one). */
export function streamPort(headers: Readonly<Record<string, string>>): number | string {
  const value = headers.port;
  if (value === undefined || value === '') return '"port" header is required';
  if (!/^\d+$/.test(value) || Number(value) > 65535) return `unable to parse "${value}" as a port`;
  if (Number(value) < 1) return `port "${value}" must be > 0`;
  return Number(value);
}

/**
 * The request a stream belongs to: its `requestID` header, or — for clients older than that header — the
 * error stream's ID, its data stream being the next the client opened (kube's httpStreamHandler.requestID).
 */
export function requestIdOf(s: StreamInfo): string {
  const id = s.headers.requestid;
  if (id !== undefined && id !== '') return id;
  return String(s.headers.streamtype === 'data' ? s.id - 2 : s.id);
}

/** Error and data streams waiting for their other half, by request. */
export class StreamPairs<S extends StreamInfo> {
  private readonly waiting = new Map<string, { data?: S; error?: S; since: number }>();

  /**
   * A new stream: the complete pair when it was the second half, 'wait' when it is the first, or why it
   * is refused (an unknown stream type, or a half the request already has).
   */
  add(s: S, now: number): { pair: { requestId: string; data: S; error: S } } | 'wait' | { refused: string } {
    const type = s.headers.streamtype;
    if (type !== 'data' && type !== 'error') return { refused: `invalid stream type "${type ?? ''}"` };
    const requestId = requestIdOf(s);
    const entry = this.waiting.get(requestId) ?? { since: now };
    if (entry[type]) return { refused: `request ${requestId} already has a ${type} stream` };
    entry[type] = s;
    if (entry.data && entry.error) {
      this.waiting.delete(requestId);
      return { pair: { requestId, data: entry.data, error: entry.error } };
    }
    this.waiting.set(requestId, entry);
    return 'wait';
  }

  /** Forgets a stream reset before its pair came. */
  remove(s: S): void {
    const requestId = requestIdOf(s);
    const entry = this.waiting.get(requestId);
    if (entry && (entry.data === s || entry.error === s)) this.waiting.delete(requestId);
  }

  /** Takes out the halves that waited longer than `timeoutMs`. */
  expired(now: number, timeoutMs: number): S[] {
    const out: S[] = [];
    for (const [id, e] of this.waiting) {
      if (now - e.since < timeoutMs) continue;
      this.waiting.delete(id);
      if (e.data) out.push(e.data);
      if (e.error) out.push(e.error);
    }
    return out;
  }

  get size(): number {
    return this.waiting.size;
  }
}

// ---- WebSocket channels (pure) --------------------------------------------------------------------

/** The port prefix each channel starts with (uint16 little-endian). */
export function portPrefix(port: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16LE(port, 0);
  return b;
}

/** The protocol the agent answers among those a WebSocket client offers, or undefined (refused). */
export function webSocketProtocol(offered: readonly string[]): string | undefined {
  return offered.find((p) => WS_BINARY.includes(p) || WS_BASE64.includes(p));
}

export function offeredProtocols(req: http.IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

// ---- serving ----------------------------------------------------------------------------------------

/** Counts forwarded payload bytes and reports them every few seconds and at the end (not per chunk). */
class ByteMeter {
  private in = 0;
  private out = 0;
  private readonly timer?: NodeJS.Timeout;

  constructor(private readonly onBytes: ProxyHooks['onBytes']) {
    if (onBytes) this.timer = setInterval(() => this.flush(), 5_000).unref();
  }

  add(direction: 'in' | 'out', n: number): void {
    if (direction === 'in') this.in += n;
    else this.out += n;
  }

  flush(): void {
    if (!this.onBytes) return;
    if (this.in) this.onBytes('in', this.in);
    if (this.out) this.onBytes('out', this.out);
    this.in = this.out = 0;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }
}

/** Why an upgrade cannot be served (checked before the session is reserved), or undefined. */
export function portForwardRefusal(req: http.IncomingMessage): { code: number; message: string } | undefined {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = offeredProtocols(req);
    if (offered.length && !webSocketProtocol(offered)) return { code: 403, message: `unable to upgrade: requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${[...WS_BINARY, ...WS_BASE64].join(' ')}]` };
    return undefined;
  }
  if (upgrade !== 'spdy/3.1') return { code: 400, message: `unable to upgrade: unsupported protocol ${upgrade || '(none)'}` };
  const versions = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (versions.length && !versions.includes(PORT_FORWARD_PROTOCOL)) return { code: 403, message: `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(versions)}, server supports ["${PORT_FORWARD_PROTOCOL}"]` };
  return undefined;
}

/**
 * Serves a port-forward upgrade (portForwardRefusal said yes) for `pod`; `ports` from the query
 * (WebSocket). hooks as for proxyUpgrade: onOpen once upgraded, onBytes, onClose when the session ends.
 */
export function servePortForward(req: http.IncomingMessage, res: http.ServerResponse, pod: PodPorts, ports: number[], hooks: ProxyHooks = {}): void {
  // A client gone while the request was authenticated and authorized: its socket's 'close' has passed
  // already and would never come to end the session.
  const up = upgradeOf(req);
  if (!up || up.socket.destroyed || !up.socket.readable) {
    up?.socket.destroy();
    hooks.onClose?.(true);
    return;
  }
  if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') return serveWebSocket(req, res, pod, ports, hooks);
  const client = takeUpgrade(req, res);
  const versions = String(req.headers['x-stream-protocol-version'] ?? '');
  client.socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' + (versions ? `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n` : '') + '\r\n',
  );
  const session = new SpdyServerSession(client.socket, client.head);
  const meter = new ByteMeter(hooks.onBytes);
  hooks.onOpen?.();
  const pairs = new StreamPairs<SpdyServerStream>();
  const conns = new Set<Duplex>();
  const timer = setInterval(() => {
    for (const s of pairs.expired(Date.now(), STREAM_PAIR_TIMEOUT_MS)) {
      if (s.headers.streamtype === 'error') s.write(Buffer.from('timed out waiting for a port forward stream pair'));
      s.reset();
    }
  }, 1_000).unref();
  session.on('stream', (s: SpdyServerStream) => {
    s.reply();
    const added = pairs.add(s, Date.now());
    if (added === 'wait') {
      // Not on 'end': kubectl half-closes the error stream (it never writes to it) before the data stream comes.
      s.once('reset', () => pairs.remove(s));
      return;
    }
    if ('refused' in added) return s.reset();
    const { data, error } = added.pair;
    const port = streamPort(data.headers);
    if (typeof port === 'string') {
      error.end();
      data.reset();
      return;
    }
    forwardOverSpdy(session, pod, port, data, error, conns, meter);
  });
  session.on('close', () => {
    clearInterval(timer);
    for (const c of conns) c.destroy();
    meter.stop();
    res.statusCode = 101;
    res.emit('close');
    hooks.onClose?.(true);
  });
}

/**
 * Calls `resume` once `conn` drains or closes, whichever comes first; at once when it is destroyed already
 * (its 'close' may have passed, and a reader paused for it would never resume: a paused socket does not
 * even see its client leave, so the session would never end).
 */
function resumeOnDrainOrClose(conn: Duplex, resume: () => void): void {
  if (conn.destroyed) return resume();
  const once = () => {
    conn.off('drain', once);
    conn.off('close', once);
    resume();
  };
  conn.on('drain', once);
  conn.on('close', once);
}

function forwardOverSpdy(session: SpdyServerSession, pod: PodPorts, port: number, data: SpdyServerStream, error: SpdyServerStream, conns: Set<Duplex>, meter: ByteMeter): void {
  let conn: Duplex | undefined;
  let done = false;
  const finish = (err?: string) => {
    if (done) return;
    done = true;
    if (err) error.write(Buffer.from(err));
    error.end();
    data.end();
  };
  // Until the pod connection exists, what the client sends waits (a request sent with the SYN).
  const early: Buffer[] = [];
  let clientEnded = false;
  data.on('data', (b: Buffer) => {
    // The pod connection is over (closed, failed, never made, or its writing side ended with the pod's
    // EOF): what the client still sends — a request racing the pod's close — is dropped, as the kubelet
    // drops it. Written to a destroyed socket it would pause the session's reads for a 'close' that has passed.
    if (done || conn?.destroyed || conn?.writableEnded) return;
    meter.add('in', b.length);
    if (!conn) return void early.push(Buffer.from(b));
    if (!conn.write(b)) {
      // One connection's slow pod side holds the session's reads (as spdystream's per-connection reads do),
      // until it drains or closes (a paused socket would not even see the client leave).
      session.socket.pause();
      resumeOnDrainOrClose(conn, () => session.socket.resume());
    }
  });
  data.on('end', () => {
    clientEnded = true;
    conn?.end();
  });
  let reset = false;
  data.on('reset', () => {
    reset = true;
    conn?.destroy();
  });
  pod.dial(port).then(
    (c) => {
      if (session.isClosed || reset) {
        c.destroy();
        return;
      }
      conn = c;
      conns.add(c);
      for (const b of early.splice(0)) c.write(b);
      if (clientEnded) c.end();
      let waiting = false;
      readPooled(c, (b, release) => {
        meter.add('out', b.length);
        if (!data.write(b, release) && !waiting && session.socket.writableLength > OUTPUT_QUEUE) {
          waiting = true;
          c.pause();
          session.once('drain', () => {
            waiting = false;
            c.resume();
          });
        }
      });
      c.on('end', () => data.end());
      let failure: string | undefined;
      c.on('error', (e: Error) => (failure = e.message));
      c.on('close', () => {
        conns.delete(c);
        finish(failure === undefined ? undefined : forwardError(pod, port, failure));
      });
    },
    (e: Error) => finish(forwardError(pod, port, e.message)),
  );
}

/** A server's (unmasked) binary WebSocket frame head for `length` payload bytes after the channel byte, which it ends with. */
export function binaryFrameHead(channel: number, length: number): Buffer {
  const n = length + 1;
  const size = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const head = Buffer.allocUnsafe(size + 1);
  head[0] = 0x82; // FIN, binary
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    head.writeUInt32BE(n >>> 0, 6);
  }
  head[size] = channel;
  return head;
}

const wss = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (offered) => webSocketProtocol([...offered]) ?? false,
});

function serveWebSocket(req: http.IncomingMessage, res: http.ServerResponse, pod: PodPorts, ports: number[], hooks: ProxyHooks): void {
  const client = takeUpgrade(req, res);
  let over = false;
  const finish = () => {
    if (over) return;
    over = true;
    res.statusCode = 101;
    res.emit('close');
    hooks.onClose?.(true);
  };
  // A handshake ws refuses (it answers 400 itself) ends here too.
  client.socket.once('close', finish);
  wss.handleUpgrade(req, client.socket, client.head, (ws) => {
    hooks.onOpen?.();
    const base64 = WS_BASE64.includes(ws.protocol);
    const meter = new ByteMeter(hooks.onBytes);
    const conns: Array<Duplex | undefined> = ports.map(() => undefined);
    const early: Buffer[][] = ports.map(() => []);
    /** The port's connection is over (closed, or never made): what the client still sends for it is dropped. */
    const over: boolean[] = ports.map(() => false);
    let open = ports.length;
    const raw = (ws as unknown as { _socket: Duplex })._socket;
    /**
     * A message on a channel; false when the connection's queue is long (wait for its 'drain'). `written`
     * once the payload's memory is no longer needed.
     */
    const send = (channel: number, payload: Buffer, written: () => void = () => undefined): boolean => {
      if (ws.readyState !== WebSocket.OPEN) {
        written();
        return true;
      }
      if (base64) {
        ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'));
        written();
        return ws.bufferedAmount < HIGH_WATER;
      }
      // The frame's head (with the channel byte) and the payload written together, the payload not copied.
      // ws writes its own frames (port prefixes, close) synchronously (no compression), so order holds.
      raw.cork();
      raw.write(binaryFrameHead(channel, payload.length));
      const ok = raw.write(payload, written);
      raw.uncork();
      return ok || raw.writableLength <= OUTPUT_QUEUE;
    };
    const ended = () => {
      if (--open === 0 && ws.readyState === WebSocket.OPEN) ws.close(1000);
    };
    ports.forEach((port, i) => {
      send(2 * i, portPrefix(port));
      send(2 * i + 1, portPrefix(port));
      pod.dial(port).then(
        (c) => {
          if (ws.readyState !== WebSocket.OPEN) return void c.destroy();
          conns[i] = c;
          for (const b of early[i].splice(0)) c.write(b);
          let waiting = false;
          readPooled(c, (b, release) => {
            meter.add('out', b.length);
            if (!send(2 * i, b, release) && !waiting) {
              waiting = true;
              c.pause();
              raw.once('drain', () => {
                waiting = false;
                c.resume();
              });
            }
          });
          let failure: string | undefined;
          c.on('error', (e: Error) => (failure = e.message));
          c.on('close', () => {
            conns[i] = undefined;
            over[i] = true;
            if (failure !== undefined) send(2 * i + 1, Buffer.from(forwardError(pod, port, failure)));
            ended();
          });
        },
        (e: Error) => {
          over[i] = true;
          early[i] = [];
          send(2 * i + 1, Buffer.from(forwardError(pod, port, e.message)));
          ended();
        },
      );
    });
    if (ports.length === 0) ws.close(1000);
    ws.on('message', (msg: Buffer | string, isBinary: boolean) => {
      const bytes = isBinary ? (msg as Buffer) : undefined;
      let channel: number;
      let payload: Buffer;
      if (bytes) {
        if (bytes.length < 1) return;
        channel = bytes[0];
        payload = bytes.subarray(1);
      } else {
        const text = msg.toString();
        if (text.length < 1) return;
        channel = text.charCodeAt(0) - 48;
        payload = Buffer.from(text.slice(1), 'base64');
      }
      // Only data channels (even) carry bytes to the pod.
      if (channel % 2 !== 0 || channel / 2 >= ports.length || payload.length === 0) return;
      const i = channel / 2;
      const c = conns[i];
      // As over SPDY: nothing is written to a connection that is over or whose writing side ended.
      if (over[i] || c?.destroyed || c?.writableEnded) return;
      meter.add('in', payload.length);
      if (!c) return void early[i].push(Buffer.from(payload));
      if (!c.write(payload)) {
        ws.pause();
        resumeOnDrainOrClose(c, () => ws.resume());
      }
    });
    ws.on('close', () => {
      for (const c of conns) c?.destroy();
      meter.stop();
      finish();
    });
    ws.on('error', () => ws.terminate());
  });
}

// ---- reaching the port ------------------------------------------------------------------------------

/** How long a direct dial to the pod IP may take before the runtime's path is tried instead. */
const DIRECT_DIAL_TIMEOUT_MS = 3_000;


/**
 * A connection to `port` in the pod's network namespace. The pod IP (127.0.0.1 for a hostNetwork pod) is
 * dialled from the host — the bridge routes it, and the bytes then cost the kernel only. Kube's meaning is
 * "localhost inside the pod", which a listener bound to the pod's 127.0.0.1 alone does not answer from
 * outside: when the direct dial fails (refused, unreachable, timed out; or no IP is known), `viaRuntime`
 * reaches the port from inside the namespace (the runtime's own port-forward), whose failure is the answer.
 */
export function dialPodPort(ip: string | undefined, port: number, viaRuntime: (port: number) => Promise<Duplex>): Promise<Duplex> {
  if (!ip) return viaRuntime(port);
  return new Promise((resolve, reject) => {
    // Read into reused buffers (lib/component/pooled-reads.ts), from when the server gives it a reader.
    const sock = pooledConnection({ host: ip, port, noDelay: true });
    sock.pause();
    const timer = setTimeout(() => sock.destroy(new Error('timed out')), DIRECT_DIAL_TIMEOUT_MS);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', () => {
      clearTimeout(timer);
      sock.destroy();
      viaRuntime(port).then(resolve, reject);
    });
  });
}

/** The runtime's streaming server's failure text, less its own "error forwarding port … uid …: " prefix. */
export function runtimeCause(text: string): string {
  const m = /^error forwarding port \d+ to pod [^,]*, uid [^:]*: ([\s\S]*)$/.exec(text.trim());
  return m ? m[1] : text.trim();
}

/**
 * One connection through the runtime's port-forward (CRI PortForward's streaming URL, over SPDY): what
 * reaches a port bound to the pod's loopback. A failure the runtime reports on the error stream destroys
 * the connection with that cause.
 */
export async function runtimePortConnection(url: string, port: number): Promise<Duplex> {
  const socket = await new Promise<Duplex>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': PORT_FORWARD_PROTOCOL }, timeout: 30_000 });
    req.on('upgrade', (_res, sock: Duplex, head: Buffer) => {
      if (head.length) sock.unshift(head);
      resolve(sock);
    });
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`the runtime's port-forward answered HTTP ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
  (socket as Duplex & { setTimeout?(ms: number): void }).setTimeout?.(0);
  const session = new SpdyClientSession(socket);
  const error = session.openStream({ streamType: 'error', port: String(port), requestID: '0' });
  const data = session.openStream({ streamType: 'data', port: String(port), requestID: '0' });
  let failure = '';
  error.on('data', (b: Buffer) => (failure += b.toString()));
  const conn = new Duplex({
    allowHalfOpen: true,
    read: () => session.socket.resume(),
    write: (chunk: Buffer, _enc, cb) => {
      if (data.write(chunk)) cb();
      else session.once('drain', () => cb());
    },
    final: (cb) => {
      data.end();
      cb();
    },
    destroy: (err, cb) => {
      session.destroy();
      cb(err);
    },
  });
  data.on('data', (b: Buffer) => {
    if (!conn.push(b)) session.socket.pause();
  });
  // The runtime ends both streams once the connection is over (its error stream says why, if it failed);
  // the session stays its to close, so it is closed here, once what came has been read.
  const over = () => {
    if (!data.remoteEnded || !error.remoteEnded) return;
    if (failure) conn.destroy(new Error(runtimeCause(failure)));
    else conn.end();
  };
  data.on('end', () => {
    conn.push(null);
    over();
  });
  error.on('end', over);
  session.on('close', () => {
    if (!conn.destroyed && failure) conn.destroy(new Error(runtimeCause(failure)));
  });
  return conn;
}
