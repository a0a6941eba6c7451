// pods/exec, pods/attach and pods/portforward (kube's connect subresources): checked here before any
// upgrade, as the registry's ExecLocation/AttachLocation/PortForwardLocation do — the pod exists, has a
// node, runs, and has the container (the only one when none is named) — and answered as a metav1.Status
// when a check fails; then the client's upgrade (SPDY/3.1 or WebSocket) is passed as bytes to the node
// agent's kubelet endpoint (/exec/<ns>/<pod>/<container>, /attach/…, /portForward/<ns>/<pod>) over the
// apiserver's kubelet client, the seam pods/log uses, and once both sides are upgraded the bytes are
// piped as they come (kube's UpgradeAwareHandler), never re-framed. The agent speaks the protocols: it
// serves port-forward itself and relays exec and attach to the runtime's streaming server. Authentication and authorization (`create` for POST, `get` for GET on
// pods/exec …) happened before, as for every request: serveUpgrades runs upgrades through the app.
import { upgradeOf, forwardedHeaders, proxyUpgrade } from '../../../lib/component/upgrade';
import type { Pod } from 'kubernetes-types/core/v1';
import { podContainerNames } from '../../../lib/api/pod';
import { Resources } from '../../../lib/api/resources';
import { errors } from '../../errors';
import { kubeletClientOf } from '../../kubelet-client';
import { connectSessions } from '../../metrics';
import { bucketOf } from '../../registry/keys';
import { isPlainObject, type Json } from '../../registry/objects';
import { qs } from '../request';
import type { ObjectRequest } from '.';
import { nodeEndpoint } from './log';

type Connect = 'exec' | 'attach' | 'portforward';

function names(list: unknown): string[] {
  return (Array.isArray(list) ? list : []).filter(isPlainObject).map((c) => String(c.name));
}

/** The container a request names, or the pod's only one; kube's messages otherwise. */
export function connectContainer(pod: Json, podName: string, requested: string | undefined): string {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const containers = names(spec.containers);
  // A stored pod passed validation: its containers are well-formed.
  const all = podContainerNames(pod as Pod);
  if (!requested) {
    if (containers.length === 1) return containers[0];
    throw errors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${[...containers, ...all.filter((n) => !containers.includes(n))].join(' ')}]`);
  }
  if (!all.includes(requested)) {
    throw errors.badRequest(`container ${requested} is not valid for pod ${podName}`);
  }
  return requested;
}

export async function serveConnect({ req, res, registry, namespace: ns, name, subresource }: ObjectRequest): Promise<void> {
  const kind = subresource as Connect;
  if (req.method !== 'GET' && req.method !== 'POST') throw errors.methodNotAllowed(req.method, `pods/${kind}`);
  const namespace = ns!;
  const pod = (await registry.get(Resources.pods, namespace, name)).obj;
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const container = kind === 'portforward' ? '' : connectContainer(pod, name, qs(req, 'container'));
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = isPlainObject(pod.status) && typeof pod.status.phase === 'string' ? pod.status.phase : 'Pending';
  if (phase === 'Succeeded' || phase === 'Failed') throw errors.badRequest(`cannot ${kind === 'portforward' ? 'forward ports of' : `${kind} into`} a container in a completed pod; current phase is ${phase}`);
  if (phase !== 'Running') throw errors.badRequest(`pod ${name} is not running (phase ${phase})`);
  if (!upgradeOf(req)) throw errors.badRequest('Upgrade request required');
  const node = await registry.storage.get(bucketOf(Resources.nodes), nodeName);
  const endpoint = node ? nodeEndpoint(node.obj) : undefined;
  if (!endpoint) throw errors.serviceUnavailable(`no node agent serves pod ${name} on node ${nodeName}`);
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
  const e = encodeURIComponent;
  const path = kind === 'portforward' ? `/portForward/${e(namespace)}/${e(name)}${query}` : `/${kind}/${e(namespace)}/${e(name)}/${e(container)}${query}`;
  const upstream = kubeletClientOf(req).request({ host: endpoint.host, port: endpoint.port, path, method: req.method, headers: forwardedHeaders(req), timeoutMs: 30_000 });
  proxyUpgrade(req, res, upstream, {
    onOpen: () => connectSessions.inc({ subresource: kind }),
    onClose: () => connectSessions.dec({ subresource: kind }),
  });
}
