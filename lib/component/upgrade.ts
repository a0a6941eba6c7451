// HTTP upgrades (exec, attach, port-forward: SPDY/3.1 and WebSocket) for the apiserver and the node agent,
// which both pass the upgraded connection on as bytes (kube's UpgradeAwareHandler, as the kubelet's
// proxyStream uses it): neither speaks SPDY or the channel protocols; the runtime's streaming server does.
//
// serveUpgrades runs an upgrade request through the server's ordinary handler (authentication,
// authorization, routing, metav1.Status errors), with a response bound to the socket: a handler that
// refuses the upgrade just answers, one that accepts it calls proxyUpgrade, which forwards the request
// to the next hop and, on its 101, pipes both connections until either side goes.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { isPooled, pumpPooled } from './pooled-reads';

export interface Upgrade {
  socket: Duplex;
  /** Bytes the client sent after the request's headers. */
  head: Buffer;
}

const upgrades = new WeakMap<http.IncomingMessage, Upgrade>();
const taken = new WeakSet<http.IncomingMessage>();

/** The upgrade a request asks for, when it came in through serveUpgrades. */
export function upgradeOf(req: http.IncomingMessage): Upgrade | undefined {
  return upgrades.get(req);
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** The upgraded connections a server still holds. */
export interface UpgradedConnections {
  /** Destroys every one (a stopping server: http.Server's close and closeAllConnections leave upgraded sockets be). */
  closeAll(): void;
}

/**
 * Hands the server's upgrade requests to `handler` as ordinary requests. Whatever the handler answers
 * goes to the client, after which the connection is closed; proxyUpgrade takes the socket over instead.
 */
export function serveUpgrades(server: http.Server, handler: Handler, Response: typeof http.ServerResponse = http.ServerResponse): UpgradedConnections {
  const open = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    upgrades.set(req, { socket, head });
    socket.on('error', () => socket.destroy());
    const res = new Response(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Parameters<http.ServerResponse['assignSocket']>[0]);
    res.on('finish', () => {
      if (!taken.has(req)) socket.end();
    });
    handler(req, res);
  });
  return {
    closeAll() {
      for (const s of open) s.destroy();
    },
  };
}

/**
 * Takes the client's upgraded connection over from the server's response (for a handler that completes the
 * upgrade itself, e.g. a WebSocket it terminates): the response no longer owns or closes the socket.
 */
export function takeUpgrade(req: http.IncomingMessage, res: http.ServerResponse): Upgrade {
  const client = upgradeOf(req);
  if (!client) throw new Error('takeUpgrade: not an upgrade request');
  taken.add(req);
  res.detachSocket(client.socket as Parameters<http.ServerResponse['detachSocket']>[0]);
  return client;
}

/** Request headers that describe this hop only, or carry the client's credentials to us. */
const HOP_HEADERS = new Set(['host', 'authorization', 'content-length', 'transfer-encoding', 'proxy-authorization', 'impersonate-user', 'impersonate-group', 'impersonate-uid']);

export interface ProxyHooks {
  /** The session is open (the next hop answered 101). */
  onOpen?(): void;
  /** Bytes passed: 'in' from the client to the next hop, 'out' back (in batches, the last at the end). */
  onBytes?(direction: 'in' | 'out', n: number): void;
  /** The session is over; clientFirst: the client's connection ended before the next hop's. */
  onClose?(clientFirst: boolean): void;
  /** The next hop answered without upgrading (its answer is passed to the client). */
  onRefused?(statusCode: number): void;
  /** The next hop could not be reached (the client has been answered 502 when nothing was sent yet). */
  onError?(err: Error): void;
}

/** The request line and headers the next hop gets: the client's, less the hop-by-hop and credential ones. */
export function forwardedHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) out[k] = v;
  return out;
}

function failureStatus(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/**
 * Sends the client's upgrade on through `upstream` (a request already made with forwardedHeaders(req) to
 * the next hop, not yet ended). A 101 from the next hop goes back to the client verbatim and both sockets
 * are piped; any other answer is passed back as it is (its status, headers and body), which is how the
 * runtime's 403 to a WebSocket protocol it lacks reaches kubectl (which then falls back to SPDY).
 */
export function proxyUpgrade(req: http.IncomingMessage, res: http.ServerResponse, upstream: http.ClientRequest, hooks: ProxyHooks = {}): void {
  const client = upgradeOf(req);
  if (!client) throw new Error('proxyUpgrade: not an upgrade request');
  taken.add(req);
  let answered = false;
  const abandon = () => {
    if (!answered) upstream.destroy();
  };
  client.socket.once('close', abandon);
  // A client gone while the request was authenticated, authorized and looked up: its 'end' or 'close' has
  // passed and would never come to end a session that nothing else ends (a port-forward, a long exec). The
  // request is abandoned (its 'error' reaches onError, which releases what the caller holds).
  if (client.socket.destroyed || !client.socket.readable) abandon();
  upstream.on('timeout', () => {
    if (!answered) upstream.destroy(new Error('timed out'));
  });
  upstream.on('response', (up) => {
    answered = true;
    client.socket.off('close', abandon);
    taken.delete(req);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(up.headers)) if (k !== 'connection' && k !== 'transfer-encoding' && v !== undefined) headers[k] = v;
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
    hooks.onRefused?.(up.statusCode ?? 502);
  });
  upstream.on('upgrade', (up, upSocket, upHead) => {
    answered = true;
    client.socket.off('close', abandon);
    upSocket.setTimeout(0); // the dial's timeout; an idle session is not an error
    res.detachSocket(client.socket as Parameters<http.ServerResponse['detachSocket']>[0]);
    const lines = [`HTTP/1.1 ${up.statusCode ?? 101} ${up.statusMessage || 'Switching Protocols'}`];
    for (let i = 0; i + 1 < up.rawHeaders.length; i += 2) lines.push(`${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}`);
    client.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (upHead.length) client.socket.write(upHead);
    if (client.head.length) upSocket.write(client.head);
    hooks.onOpen?.();
    let clientFirst: boolean | undefined;
    const finish = (byClient: boolean) => {
      if (clientFirst !== undefined) return;
      clientFirst = byClient;
      flushBytes();
      res.statusCode = 101;
      res.emit('close');
      hooks.onClose?.(byClient);
    };
    // Bytes as the next hop's socket counts them, reported every few seconds and at the end rather than
    // per chunk: a listener per chunk is work on every read of a bulk port-forward.
    let flushBytes: () => void = () => undefined;
    if (hooks.onBytes) {
      const onBytes = hooks.onBytes;
      let sentIn = upSocket.bytesWritten;
      let sentOut = upSocket.bytesRead - upHead.length;
      flushBytes = () => {
        const [nowIn, nowOut] = [upSocket.bytesWritten, upSocket.bytesRead];
        if (nowIn > sentIn) onBytes('in', nowIn - sentIn);
        if (nowOut > sentOut) onBytes('out', nowOut - sentOut);
        [sentIn, sentOut] = [nowIn, nowOut];
      };
      const timer = setInterval(flushBytes, 5_000).unref();
      upSocket.once('close', () => {
        clearInterval(timer);
        flushBytes();
      });
    }
    client.socket.pipe(upSocket);
    if (isPooled(upSocket)) {
      // The next hop's bytes (a download, a container's output) read into reused buffers, not copied.
      pumpPooled(upSocket, client.socket);
      upSocket.on('end', () => client.socket.end());
    } else upSocket.pipe(client.socket);
    // A client that goes ends the session at once: the runtime's stream is destroyed, so a killed kubectl
    // does not leave it (and what it runs) open for the runtime's 4 h idle timeout.
    client.socket.on('end', () => finish(true));
    client.socket.on('close', () => {
      upSocket.destroy();
      finish(true);
    });
    // The next hop ending first: what it wrote last (the exit Status) is flushed to the client, then closed.
    upSocket.on('end', () => finish(false));
    upSocket.on('close', () => {
      finish(false);
      client.socket.end();
      setTimeout(() => client.socket.destroy(), 10_000).unref();
    });
    client.socket.on('error', () => client.socket.destroy());
    upSocket.on('error', () => upSocket.destroy());
  });
  upstream.on('error', (err) => {
    hooks.onError?.(err);
    if (answered) return;
    answered = true;
    taken.delete(req);
    if (res.headersSent || client.socket.destroyed) {
      client.socket.destroy();
      return;
    }
    const body = failureStatus(502, 'InternalError', `error dialing backend: ${err.message}`);
    res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  upstream.end();
}
