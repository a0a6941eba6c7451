// pods/log: proxied to the node agent that runs the pod, at
// https://<node InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>
// with the apiserver's kubelet client identity (plain HTTP when the apiserver is set up without one).
import type * as http from 'node:http';
import { kubeletClientOf } from '../../kubelet-client';
import type { Pod } from 'kubernetes-types/core/v1';
import { podContainerNames } from '../../../lib/api/pod';
import { Resources } from '../../../lib/api/resources';
import { errors } from '../../errors';
import { bucketOf } from '../../registry/keys';
import { isPlainObject, Json } from '../../registry/objects';
import { qs, sendError } from '../request';
import type { ObjectRequest } from '.';

const FORWARDED = ['follow', 'tailLines', 'timestamps', 'previous', 'sinceSeconds', 'sinceTime', 'limitBytes'];

export function nodeEndpoint(node: Json): { host: string; port: number } | undefined {
  const status = isPlainObject(node.status) ? node.status : {};
  const addresses = Array.isArray(status.addresses) ? status.addresses.filter(isPlainObject) : [];
  const ip = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses.find((a) => a.type === 'Hostname')?.address;
  const de = isPlainObject(status.daemonEndpoints) ? status.daemonEndpoints : {};
  const port = isPlainObject(de.kubeletEndpoint) ? de.kubeletEndpoint.Port : undefined;
  if (typeof ip !== 'string' || typeof port !== 'number' || port <= 0) return undefined;
  return { host: ip, port };
}

export async function serveLog({ req, res, registry, rt, namespace: ns, name }: ObjectRequest): Promise<void> {
  if (req.method !== 'GET') throw errors.methodNotAllowed(req.method, `${rt.resource}/log`);
  const namespace = ns!;
  const pod = (await registry.get(Resources.pods, namespace, name)).obj;
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const containers = (Array.isArray(spec.containers) ? spec.containers : []).filter(isPlainObject).map((c) => String(c.name));
  let container = qs(req, 'container');
  if (!container) {
    if (containers.length !== 1) {
      throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    }
    container = containers[0];
  } else if (!podContainerNames(pod as Pod).includes(container)) {
    throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const node = await registry.storage.get(bucketOf(Resources.nodes), nodeName);
  const endpoint = node ? nodeEndpoint(node.obj) : undefined;
  if (!endpoint) throw errors.serviceUnavailable(`no node agent serves logs for pod ${name} on node ${nodeName}`);
  const query = new URLSearchParams();
  for (const k of FORWARDED) {
    const v = qs(req, k);
    if (v !== undefined) query.set(k, v);
  }
  const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${query.size ? `?${query}` : ''}`;
  await new Promise<void>((resolve) => {
    const upstream = kubeletClientOf(req).get({ host: endpoint.host, port: endpoint.port, path, timeoutMs: 10_000 }, (up) => {
      const headers: http.OutgoingHttpHeaders = { 'Content-Type': up.headers['content-type'] || 'text/plain' };
      res.writeHead(up.statusCode || 502, headers);
      res.flushHeaders();
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', () => {
        res.end();
        resolve();
      });
    });
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) => {
      if (!res.headersSent) sendError(res, errors.serviceUnavailable(`the node agent on ${nodeName} did not answer: ${err.message}`));
      else res.end();
      resolve();
    });
    res.on('close', () => {
      upstream.destroy();
      resolve();
    });
  });
}
