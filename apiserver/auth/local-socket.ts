// The apiserver's local socket: a Unix domain socket (mode 0600) served without TLS, for the components
// that run in the apiserver's own process (`steer server`). kube-apiserver gives its own loopback client
// one privileged token over TLS; here every component keeps its own identity so that RBAC, the Node
// authorizer and audit still see system:kube-scheduler, system:node:<name>, …: each gets a random token
// of its own that is valid ONLY on a connection to this socket (a TokenReview of it, or the same token
// sent over TCP, authenticates no one). The point is memory: a TLS connection costs both ends tens of
// KiB of buffers, and each long-lived watch holds one.
import type { Socket } from 'node:net';
import { bearerToken } from './token-file';
import type { Authenticator, UserInfo } from './types';

export interface LocalSocketOptions {
  /** Where the socket is created (its directory must exist; a stale socket file there is replaced). */
  path: string;
  /** Bearer token → the user a request on the socket carrying it runs as. */
  tokens: Map<string, UserInfo>;
}

/**
 * Authenticates the local socket's tokens on the socket's own connections only: `isLocal` says whether a
 * request's connection was accepted by the socket's listener.
 */
export function localSocketAuthenticator(tokens: Map<string, UserInfo>, isLocal: (socket: Socket | undefined) => boolean): Authenticator {
  return {
    authenticate(req) {
      if (!isLocal(req.socket as Socket | undefined)) return undefined;
      const token = bearerToken(req);
      const user = token === undefined ? undefined : tokens.get(token);
      return user && { ...user, groups: [...user.groups] };
    },
  };
}
