// pods/proxy, services/proxy and nodes/proxy (kube's ProxyREST): any request under
// .../pods/<[scheme:]name[:port]>/proxy/<path> goes on to that pod's IP and port; under services/ to one
// ready endpoint of the Service's port (named, or given by number and mapped to its name, as kube's
// ResourceLocation); under nodes/ to the node agent (no port, or its kubelet port: the apiserver's kubelet
// client, as for pods/log) or to another port of the node. What kubectl proxy, `kubectl get --raw
// /api/v1/nodes/N/proxy/metrics` and Prometheus' apiserver-proxied scrapes use.
// As kube-apiserver: only global unicast addresses are proxied (no loopback: the apiserver's own
// listeners, etcd); an endpoint pointing at a pod is used only if that pod has that IP; the client's
// credentials (Authorization, impersonation) stay here; a GET of the bare `/proxy` is redirected to
// `/proxy/`; the body streams both ways (no size limit, so the apiserver does not read it first); an
// upgrade (WebSocket) is piped through; a redirect and the links of an HTML page that point at the
// target's root are rewritten under the proxy path (kube's proxy transport).
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import * as zlib from 'node:zlib';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import { forwardedHeaders, proxyUpgrade, upgradeOf } from '../../../lib/component/upgrade';
import { Resources } from '../../../lib/api/resources';
import { errors } from '../../errors';
import { kubeletClientOf } from '../../kubelet-client';
import { bucketOf } from '../../registry/keys';
import { sendError } from '../request';
import type { ObjectRequest } from '.';
import { nodeEndpoint } from './log';

/** kube's SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port` (scheme http or https); undefined when not. */
export function splitSchemeNamePort(id: string): { scheme: '' | 'http' | 'https'; name: string; port: string } | undefined {
  const parts = id.split(':');
  const [scheme, name, port] = parts.length === 1 ? ['', parts[0], ''] : parts.length === 2 ? ['', parts[0], parts[1]] : parts.length === 3 ? parts : [];
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme, name, port: port! };
}

/** Go's IP.IsGlobalUnicast, which kube's IsProxyableIP asks: not loopback, link-local, multicast, unspecified or broadcast. */
export function isProxyableIP(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number);
    return !(a === 0 || a === 127 || (a === 169 && b === 254) || a >= 224);
  }
  if (v === 6) {
    const s = ip.toLowerCase();
    if (s === '::' || s === '::1') return false;
    if (s.startsWith('::ffff:') && isIP(s.slice(7)) === 4) return isProxyableIP(s.slice(7));
    return !/^fe[89ab]/.test(s) && !s.startsWith('ff');
  }
  return false;
}

/**
 * The addresses of a Service's port that a proxied request may go to, as kube's service ResourceLocation
 * picks them: the endpoint port of the name asked for ('' is the unnamed one), a port number first mapped
 * to the Service port's name; ready addresses only. An error for anything else.
 */
export function serviceCandidates(svc: Service, eps: Endpoints | undefined, portReq: string): Array<{ ip: string; port: number; pod?: string }> {
  const name = svc.metadata?.name ?? '';
  if (svc.spec?.type === 'ExternalName') throw errors.badRequest(`service "${name}" is of type ExternalName and cannot be proxied`);
  let portName = portReq;
  if (/^\d+$/.test(portReq)) {
    const found = (svc.spec?.ports || []).find((p) => p.port === Number(portReq));
    if (!found) throw errors.serviceUnavailable(`no service port ${portReq} found for service "${name}"`);
    portName = found.name ?? '';
  }
  const out: Array<{ ip: string; port: number; pod?: string }> = [];
  for (const ss of eps?.subsets || []) {
    const port = (ss.ports || []).find((p) => (p.name ?? '') === portName);
    if (!port) continue;
    for (const a of ss.addresses || []) out.push({ ip: a.ip, port: port.port, ...(a.targetRef?.kind === 'Pod' && a.targetRef.name ? { pod: a.targetRef.name } : {}) });
  }
  if (!out.length) throw errors.serviceUnavailable(`no endpoints available for service "${name}"`);
  return out;
}

/** Where a proxied request goes: the kubelet port of a node goes through the apiserver's kubelet client. */
interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  kubelet?: boolean;
}

const isPort = (p: string) => /^\d+$/.test(p) && Number(p) > 0 && Number(p) < 65536;

async function podTarget({ registry, namespace, name }: ObjectRequest): Promise<ProxyTarget> {
  const id = splitSchemeNamePort(name);
  if (!id || (id.port && !isPort(id.port))) throw errors.badRequest(`invalid pod request "${name}"`);
  const pod = (await registry.get(Resources.pods, namespace!, id.name)).obj as Pod;
  const ip = pod.status?.podIP;
  if (!ip) throw errors.serviceUnavailable(`pod "${id.name}" has no IP address yet`);
  if (!isProxyableIP(ip)) throw errors.badRequest('address not allowed');
  return { scheme: id.scheme || 'http', host: ip, port: id.port ? Number(id.port) : 80 };
}

async function serviceTarget({ registry, namespace, name }: ObjectRequest): Promise<ProxyTarget> {
  const id = splitSchemeNamePort(name);
  if (!id) throw errors.badRequest(`invalid service request "${name}"`);
  const svc = (await registry.get(Resources.services, namespace!, id.name)).obj as Service;
  const eps = (await registry.storage.get(bucketOf(Resources.endpoints), `${namespace}/${id.name}`))?.obj as Endpoints | undefined;
  const candidates = serviceCandidates(svc, eps, id.port);
  // From a random one on, the first address that may be proxied and, when it names a pod, is that pod's IP
  // (an Endpoints object written by hand must not point the apiserver elsewhere).
  const start = Math.floor(Math.random() * candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[(start + i) % candidates.length];
    if (!isProxyableIP(c.ip)) continue;
    if (c.pod) {
      const pod = (await registry.storage.get(bucketOf(Resources.pods), `${namespace}/${c.pod}`))?.obj as Pod | undefined;
      if (!pod || !(pod.status?.podIPs || [{ ip: pod.status?.podIP }]).some((p) => p.ip === c.ip)) continue;
    }
    return { scheme: id.scheme || 'http', host: c.ip, port: c.port };
  }
  throw errors.serviceUnavailable(`no endpoints available for service "${name}"`);
}

async function nodeTarget({ registry, name }: ObjectRequest): Promise<ProxyTarget> {
  const id = splitSchemeNamePort(name);
  if (!id || (id.port && !isPort(id.port))) throw errors.badRequest(`invalid node request "${name}"`);
  const node = await registry.get(Resources.nodes, undefined, id.name);
  const agent = nodeEndpoint(node.obj);
  if (!agent) throw errors.serviceUnavailable(`node "${id.name}" has no address and kubelet port`);
  if (!isProxyableIP(agent.host)) throw errors.badRequest('address not allowed');
  if (!id.port || Number(id.port) === agent.port) return { scheme: 'https', host: agent.host, port: agent.port, kubelet: true };
  return { scheme: id.scheme || 'http', host: agent.host, port: Number(id.port) };
}

const targets: Record<string, (call: ObjectRequest) => Promise<ProxyTarget>> = { pods: podTarget, services: serviceTarget, nodes: nodeTarget };

/** The request path split at its `/proxy`: the prefix as the client sent it, and the rest for the target. */
export function splitProxyPath(originalUrl: string): { prefix: string; rest: string; query: string } {
  const q = originalUrl.indexOf('?');
  const pathname = q < 0 ? originalUrl : originalUrl.slice(0, q);
  const m = /^(.*?\/(?:pods|services|nodes)\/[^/]+\/proxy)(\/.*)?$/.exec(pathname);
  return { prefix: m ? m[1] : pathname, rest: m?.[2] ?? '', query: q < 0 ? '' : originalUrl.slice(q) };
}

/**
 * A URL the target gave (a redirect, a link) as the client must ask for it: one on the target's root
 * (`/x`, or absolute on the target's own host) moves under the proxy prefix; anything else is left.
 */
export function rewriteTargetURL(url: string, prefix: string, targetHost: string): string {
  if (url.startsWith('/') && !url.startsWith('//')) return prefix + url;
  const m = /^(https?:)?\/\/([^/?#]+)(.*)$/i.exec(url);
  if (m && m[2].toLowerCase() === targetHost.toLowerCase()) return prefix + (m[3].startsWith('/') ? m[3] : `/${m[3]}`);
  return url;
}

/** The attributes kube's proxy transport rewrites in HTML (its atomsToAttrs, all tags together). */
const URL_ATTRIBUTES = 'href|src|action|formaction|cite|background|codebase|classid|data|longdesc|usemap|manifest|profile|icon|poster';
const TAG = /<[a-zA-Z][^>]*>/g;
const ATTRIBUTE = new RegExp(`(\\s(?:${URL_ATTRIBUTES})\\s*=\\s*)(?:"([^"]*)"|'([^']*)'|([^\\s"'=<>\`]+))`, 'gi');

/** An HTML page with the URLs in its tags' link attributes rewritten (rewriteTargetURL). */
export function rewriteHtml(html: string, prefix: string, targetHost: string): string {
  return html.replace(TAG, (tag) =>
    tag.replace(ATTRIBUTE, (_m, lead: string, dq?: string, sq?: string, bare?: string) => {
      const value = dq ?? sq ?? bare ?? '';
      const quote = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
      return `${lead}${quote}${rewriteTargetURL(value, prefix, targetHost)}${quote}`;
    }),
  );
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate']);
const CONNECT_TIMEOUT_MS = 30_000;

export async function serveProxy(call: ObjectRequest): Promise<void> {
  const { req, res, rt } = call;
  const target = await targets[rt.resource](call);
  const { prefix, rest, query } = splitProxyPath(req.originalUrl);
  // kube's hack for issue 4958: relative links of a page at the bare prefix would miss the proxy.
  if (!rest && (req.method === 'GET' || req.method === 'HEAD') && !upgradeOf(req)) {
    res.writeHead(301, { Location: `${prefix}/${query}` });
    res.end();
    return;
  }
  const upgrade = !!upgradeOf(req);
  const headers = forwardedHeaders(req);
  // The client's credentials stay here; so do its hop-by-hop headers, unless they ask for the upgrade.
  for (const k of Object.keys(headers)) if (k.startsWith('impersonate-extra-') || (!upgrade && HOP_BY_HOP.has(k))) delete headers[k];
  if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
  const from = req.socket.remoteAddress;
  if (from) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${from}` : from;
  const path = `${rest || '/'}${query}`;
  const upstream = target.kubelet
    ? kubeletClientOf(req).request({ host: target.host, port: target.port, path, method: req.method, headers })
    : (target.scheme === 'https' ? https : http).request({ host: target.host, port: target.port, path, method: req.method, headers, ...(target.scheme === 'https' ? { rejectUnauthorized: false } : {}) });
  const hostPort = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  if (upgrade) return proxyUpgrade(req, res, upstream);
  await new Promise<void>((resolve) => {
    const connectTimer = setTimeout(() => upstream.destroy(new Error(`dial tcp ${hostPort}: i/o timeout`)), CONNECT_TIMEOUT_MS);
    upstream.once('socket', (s) => (s.connecting ? s.once('connect', () => clearTimeout(connectTimer)) : clearTimeout(connectTimer)));
    upstream.on('response', (up) => {
      clearTimeout(connectTimer);
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      if (typeof up.headers.location === 'string') out.location = rewriteTargetURL(up.headers.location, prefix, hostPort);
      const encoding = String(up.headers['content-encoding'] ?? '').toLowerCase();
      const html = /^text\/html/i.test(String(up.headers['content-type'] ?? '')) && (encoding === '' || encoding === 'gzip') && req.method !== 'HEAD';
      if (!html) {
        res.writeHead(up.statusCode || 502, out);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', () => (res.destroy(), resolve()));
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('error', () => (res.destroy(), resolve()));
      up.on('end', () => {
        let body = Buffer.concat(chunks);
        try {
          const page = (encoding === 'gzip' ? zlib.gunzipSync(body) : body).toString('utf8');
          const rewritten = Buffer.from(rewriteHtml(page, prefix, hostPort), 'utf8');
          body = encoding === 'gzip' ? zlib.gzipSync(rewritten) : rewritten;
        } catch {
          // Not gzip after all: passed on as it came.
        }
        out['content-length'] = String(body.length);
        res.writeHead(up.statusCode || 502, out);
        res.end(body);
        resolve();
      });
    });
    upstream.on('error', (err) => {
      clearTimeout(connectTimer);
      if (!res.headersSent) sendError(res, errors.serviceUnavailable(`error trying to reach service: ${err.message}`));
      else res.destroy();
      resolve();
    });
    res.on('close', () => {
      clearTimeout(connectTimer);
      if (!res.writableFinished) upstream.destroy();
      resolve();
    });
    req.pipe(upstream);
  });
}
