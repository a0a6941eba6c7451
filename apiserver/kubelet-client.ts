// How the apiserver reaches node agents (kube-apiserver's --kubelet-client-certificate/-key and
// --kubelet-certificate-authority): HTTPS with the apiserver's own client identity
// (kube-apiserver-kubelet-client), checking the agent's serving certificate against the CA when one is
// given — or plain HTTP for the open, certificate-less setups the programmatic apiserver defaults to.
// pods/log and the metrics API use get; exec, attach and port-forward open upgrades with request.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Request } from 'express';
import { pooledRequest } from '../lib/component/pooled-reads';

export interface KubeletClientOptions {
  /** HTTPS to the agents (default: true when any file below is given). */
  https?: boolean;
  /** The apiserver's client certificate and key for the agents (PEM files). */
  certFile?: string;
  keyFile?: string;
  /** CA that signed the agents' serving certificates; without it they are not verified (as kube-apiserver). */
  caFile?: string;
}

export interface KubeletClient {
  readonly scheme: 'http' | 'https';
  /** A GET to a node agent; the callback gets its response. */
  get(target: { host: string; port: number; path: string; timeoutMs?: number }, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest;
  /** Any request to a node agent (an upgrade, for exec, attach and port-forward), not yet ended. */
  request(target: { host: string; port: number; path: string; method: string; headers: http.OutgoingHttpHeaders; timeoutMs?: number }): http.ClientRequest;
}

export function kubeletClient(o: KubeletClientOptions = {}): KubeletClient {
  const secure = o.https ?? !!(o.certFile || o.keyFile || o.caFile);
  if (!!o.certFile !== !!o.keyFile) throw new Error('the kubelet client certificate and key go together');
  if (!secure) {
    return {
      scheme: 'http',
      get: (t, onResponse) => http.get({ host: t.host, port: t.port, path: t.path, timeout: t.timeoutMs }, onResponse),
      request: (t) => pooledRequest((onread) => http.request({ host: t.host, port: t.port, path: t.path, method: t.method, headers: t.headers, timeout: t.timeoutMs, agent: false, ...onread })),
    };
  }
  const tlsOptions: https.RequestOptions = {
    ...(o.certFile ? { cert: fs.readFileSync(o.certFile), key: fs.readFileSync(o.keyFile!) } : {}),
    ...(o.caFile ? { ca: fs.readFileSync(o.caFile), rejectUnauthorized: true } : { rejectUnauthorized: false }),
  };
  // No pooled connections (an upgrade keeps its connection; a log follow holds one), but the agents' TLS
  // sessions are kept, so each new connection resumes instead of a full handshake with certificates.
  // Upgrades read into reused buffers (pooledRequest: each has its own connection).
  const agent = new https.Agent({ keepAlive: false, maxCachedSessions: 256 });
  return {
    scheme: 'https',
    get: (t, onResponse) => https.get({ ...tlsOptions, host: t.host, port: t.port, path: t.path, timeout: t.timeoutMs, agent }, onResponse),
    request: (t) => pooledRequest((onread) => https.request({ ...tlsOptions, host: t.host, port: t.port, path: t.path, method: t.method, headers: t.headers, timeout: t.timeoutMs, agent, ...onread })),
  };
}

const plain = kubeletClient();

/** The kubelet client of the apiserver serving this request (set on app.locals by startApiServer). */
export function kubeletClientOf(req: Request): KubeletClient {
  return (req.app.locals.kubeletClient as KubeletClient | undefined) ?? plain;
}
