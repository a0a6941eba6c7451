// Watches over WebSocket, as kube-apiserver serves them: a watch request (GET …?watch=1) sent with
// `Upgrade: websocket` gets each watch event as one text message. Browsers need it: over HTTP/1.1 they
// open at most 6 connections to one origin and a streamed watch holds one for its whole life, while
// WebSockets come from a pool of their own. A browser cannot set the Authorization header of a
// WebSocket, so, as kube-apiserver accepts it, the bearer token may come as the offered subprotocol
// `base64url.bearer.authorization.k8s.io.<base64url of the token>`: it is taken out of the offered
// protocols and put where the authenticators read it.
//
// Upgrade requests go through the same Express app as every request (authentication, authorization,
// audit, metrics, routing), by lib/component/upgrade's serveUpgrades — the server's one upgrade listener,
// which pods/exec, attach and portforward use too; only the watch handler accepts a WebSocket upgrade. Every other answer — a 401, a
// 403, a 404, any request that is not a watch — is written as a plain HTTP response, which refuses the
// handshake, as before this module (Node hands upgrade requests to the app when nobody listens for them).
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request } from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveUpgrades, upgradeOf } from '../../lib/component/upgrade';

export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** WebSocket requests whose handshake has been completed (each can be accepted once). */
const accepted = new WeakSet<http.IncomingMessage>();

const asksForWebSocket = (req: http.IncomingMessage) => (req.headers.upgrade ?? '').toLowerCase() === 'websocket';

// The handshake only: no server of its own, no client tracking, no compression (watch events are
// small and frequent; deflate would cost the apiserver CPU per message). The protocol answered is the
// first one offered once the bearer token is taken out (a browser refuses a handshake that answers
// none when it offered some).
const handshakes = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (protocols) => protocols.values().next().value ?? false,
});

/** Whether the request asks for a WebSocket and the server can still accept it. */
export function isWebSocketRequest(req: Request): boolean {
  return !!upgradeOf(req) && asksForWebSocket(req) && !accepted.has(req);
}

/**
 * Completes the handshake of a request routeUpgrades handed to the app. Throws when the request
 * is not one (the caller checks isWebSocketRequest first).
 */
export function acceptWebSocket(req: Request): Promise<WebSocket> {
  const up = upgradeOf(req);
  if (!up || !asksForWebSocket(req) || accepted.has(req)) throw new Error('not a WebSocket request');
  accepted.add(req);
  return new Promise((resolve, reject) => {
    // ws answers a malformed handshake itself (400) and then never calls back.
    up.socket.once('close', () => reject(new Error('handshake refused')));
    handshakes.handleUpgrade(req, up.socket, up.head, resolve);
  });
}

/** The bearer token a WebSocket request offers as a subprotocol, and the other protocols it offers. */
export function splitBearerProtocol(header: string | undefined): { token?: string; protocols: string[] } {
  const offered = (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  return {
    token: bearer === undefined ? undefined : Buffer.from(bearer.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8'),
    protocols: offered.filter((p) => p !== bearer),
  };
}

export interface UpgradeRouting {
  /** Ends every upgraded connection (server.close() does not: they are no longer HTTP connections). */
  closeAll(): void;
}

/**
 * Hands the server's upgrade requests to the app as ordinary requests (see the top of this file), the
 * bearer subprotocol of a WebSocket request put where the authenticators read it.
 */
export function routeUpgrades(server: http.Server, app: (req: http.IncomingMessage, res: http.ServerResponse) => void, Response?: typeof http.ServerResponse): UpgradeRouting {
  const sockets = new Set<Duplex>();
  serveUpgrades(
    server,
    (req, res) => {
      const { socket } = upgradeOf(req)!;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      if (asksForWebSocket(req)) {
        const { token, protocols } = splitBearerProtocol(req.headers['sec-websocket-protocol']);
        if (protocols.length) req.headers['sec-websocket-protocol'] = protocols.join(', ');
        else delete req.headers['sec-websocket-protocol'];
        if (token !== undefined && !req.headers.authorization) req.headers.authorization = `Bearer ${token}`;
      }
      app(req, res);
    },
    Response,
  );
  return {
    closeAll() {
      for (const s of sockets) s.destroy();
    },
  };
}
