// Client-certificate authentication (kube-apiserver's --client-ca-file; k8s.io/apiserver's x509
// authenticator with CommonNameUserConversion): a TLS client that presented a certificate chaining to
// the client CA is the user named by the certificate's CN, in the groups named by its O values. The TLS
// server asks for a certificate but lets the handshake through without one (requestCert, not
// rejectUnauthorized) so that token and anonymous requests still reach the other authenticators; a
// certificate that does not verify is refused with 401 here.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AuthenticationError, type Authenticator, type UserInfo } from './types';

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** What one connection's certificate says; a TLS connection keeps its peer for its whole life. */
const perSocket = new WeakMap<object, UserInfo | AuthenticationError | null>();

function identify(sock: TLSSocket): UserInfo | AuthenticationError | null {
  const cert = sock.getPeerCertificate();
  if (!cert || !cert.raw) return null;
  if (!sock.authorized) {
    const why = sock.authorizationError instanceof Error ? sock.authorizationError.message : String(sock.authorizationError ?? 'not trusted');
    return new AuthenticationError(`x509: certificate of "${values(cert.subject?.CN)[0] ?? ''}" not accepted: ${why}`);
  }
  const name = values(cert.subject?.CN)[0];
  // No CN: no user (the request goes on to the other authenticators), as k8s' CommonNameUserConversion.
  if (!name) return null;
  return { name, groups: values(cert.subject?.O) };
}

export function x509Authenticator(): Authenticator {
  return {
    authenticate(req: IncomingMessage): UserInfo | undefined {
      const sock = req.socket as TLSSocket | undefined;
      if (!sock || !sock.encrypted || typeof sock.getPeerCertificate !== 'function') return undefined;
      let found = perSocket.get(sock);
      if (found === undefined) {
        found = identify(sock);
        perSocket.set(sock, found);
      }
      if (found instanceof AuthenticationError) throw found;
      return found ? { name: found.name, groups: [...found.groups] } : undefined;
    },
  };
}
