// How the apiserver reaches an admission webhook: HTTPS only, the server checked against the webhook's
// caBundle (the system's roots when it has none) and, for a Service, the name `<service>.<namespace>.svc`.
// A Service is reached at one of its ready endpoints (kube-apiserver's endpoint routing, as with
// --enable-aggregator-routing): that needs no service proxy on the apiserver's machine. The call has the
// webhook's timeout as its deadline, sent as `?timeout=10s` as kube-apiserver does.
import * as https from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { WebhookClientConfig } from 'kubernetes-types/admissionregistration/v1';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { serviceCandidates } from '../../handlers/subresources/proxy';

/** Where one call goes. */
export interface WebhookTarget {
  /** The URL as kube-apiserver names it in messages (a Service by its DNS name). */
  url: string;
  host: string;
  port: number;
  path: string;
  /** The name the server's certificate must carry (also sent as SNI unless it is an IP address). */
  serverName: string;
}

export interface ServiceLookup {
  getService(namespace: string, name: string): Promise<Service | undefined>;
  getEndpoints(namespace: string, name: string): Promise<Endpoints | undefined>;
}

/** Go's %v of a duration of whole seconds, as the `timeout` query parameter carries it. */
const timeoutParam = (seconds: number) => `timeout=${seconds}s`;

/** The target of a call: the URL's host, or a ready endpoint of the Service's port. */
export async function resolveTarget(cc: WebhookClientConfig, timeoutSeconds: number, services: ServiceLookup): Promise<WebhookTarget> {
  if (cc.url) {
    const u = new URL(cc.url);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const path = `${u.pathname || '/'}?${timeoutParam(timeoutSeconds)}`;
    return { url: `${u.protocol}//${u.host}${path}`, host, port: u.port ? Number(u.port) : 443, path, serverName: host };
  }
  const ref = cc.service;
  if (!ref) throw new Error('neither url nor service is set');
  const port = ref.port ?? 443;
  const serverName = `${ref.name}.${ref.namespace}.svc`;
  const path = `${ref.path || '/'}?${timeoutParam(timeoutSeconds)}`;
  const url = `https://${serverName}:${port}${path}`;
  const svc = await services.getService(ref.namespace, ref.name);
  if (!svc) throw new Error(`Post "${url}": service "${ref.name}" not found`);
  // The Service's port by number, then its ready addresses, as the proxy subresource picks them.
  let ready: Array<{ ip: string; port: number }>;
  try {
    ready = serviceCandidates(svc, await services.getEndpoints(ref.namespace, ref.name), String(port));
  } catch (err) {
    throw new Error(`Post "${url}": ${(err as Error).message}`);
  }
  const pick = ready[Math.floor(Math.random() * ready.length)];
  return { url, host: pick.ip, port: pick.port, path, serverName };
}

/** Node's network errors in Go's words, as kube-apiserver's messages print them. */
function goNetError(err: NodeJS.ErrnoException, t: WebhookTarget): string {
  const addr = `${isIP(t.host) === 6 ? `[${t.host}]` : t.host}:${t.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${t.host}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    default:
      return err.message;
  }
}

export interface WebhookCall {
  /** The PEM roots to check the server with; undefined: the system's. */
  ca?: string;
  agent: https.Agent;
  timeoutSeconds: number;
  body: Buffer;
}

/**
 * POSTs the review and returns the answer's JSON. A thrown Error's message is what kube-apiserver writes
 * after "failed to call webhook: " (the status code, when the server answered with an error, beside it).
 */
export function postReview(t: WebhookTarget, call: WebhookCall): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(new Error(message));
    };
    const req = https.request(
      {
        host: t.host,
        port: t.port,
        path: t.path,
        method: 'POST',
        agent: call.agent,
        ...(call.ca ? { ca: call.ca } : {}),
        ...(isIP(t.serverName) ? {} : { servername: t.serverName }),
        // The certificate must name the host the webhook is known by (the Service's DNS name, or the URL's host).
        checkServerIdentity: (_host, cert) => checkServerIdentity(t.serverName, cert),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'Content-Length': String(call.body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxResponseBytes) fail(`Post "${t.url}": the response is larger than ${maxResponseBytes} bytes`);
          else chunks.push(c);
        });
        res.on('error', (err) => fail(`Post "${t.url}": ${err.message}`));
        res.on('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) return fail(`an error on the server (${JSON.stringify(text.trim().slice(0, 200))}) has prevented the request from succeeding (status ${code})`);
          settled = true;
          clearTimeout(deadline);
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(Object.assign(new Error((err as Error).message), { invalidResponse: true }));
          }
        });
      },
    );
    const deadline = setTimeout(() => fail(`Post "${t.url}": context deadline exceeded`), call.timeoutSeconds * 1000);
    req.on('error', (err: NodeJS.ErrnoException) => fail(`Post "${t.url}": ${goNetError(err, t)}`));
    req.end(call.body);
  });
}

/** An answer that arrived but is not JSON: kube's "received invalid webhook response". */
export const isInvalidResponse = (err: unknown): boolean => !!(err as { invalidResponse?: boolean })?.invalidResponse;

/** The most a webhook's answer may hold (kube-apiserver reads at most 3 MiB more than its request limit; a review answer is far smaller). */
const maxResponseBytes = 16 * 1024 * 1024;
