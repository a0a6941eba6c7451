// `steer port-forward TYPE/NAME [LOCAL:]REMOTE...`: local TCP ports forwarded to a pod through
// pods/portforward, as kubectl port-forward: the target is a pod, or a workload or Service resolved to
// one of its running pods (a Service's port is mapped to its targetPort, by number or by the container
// port's name); LOCAL empty or 0 picks a free port. One WebSocket per accepted connection.
import * as net from 'node:net';
import { Command } from 'commander';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { forwardConnection } from '../remote-command';
import { resolveLogsPod } from './logs';

export interface PortMapping {
  local: number;
  remote: number;
}

/** `8080:80`, `:80` and `80` (same port locally), as kubectl parses them; remote may still be a Service port. */
export function parsePortMappings(specs: string[]): Array<{ local: number; remote: string }> {
  return specs.map((spec) => {
    const parts = spec.split(':');
    if (parts.length > 2) throw new Error(`invalid port format '${spec}'`);
    const remote = parts.length === 2 ? parts[1] : parts[0];
    const localText = parts[0];
    const local = localText === '' ? 0 : Number(localText);
    if (!Number.isInteger(local) || local < 0 || local > 65535) throw new Error(`Error parsing local port '${localText}': should be from 0 to 65535`);
    if (!remote) throw new Error(`invalid port format '${spec}'`);
    return { local, remote };
  });
}

function containerPort(pod: Pod, name: string): number | undefined {
  for (const c of pod.spec?.containers || []) for (const p of c.ports || []) if (p.name === name) return p.containerPort;
  return undefined;
}

/** The pod and the pod ports a target's mappings reach. */
export async function resolveForward(client: KubeClient, namespace: string, target: string, specs: string[], streams: Streams): Promise<{ pod: Pod; ports: PortMapping[] }> {
  const wanted = parsePortMappings(specs);
  const slash = target.indexOf('/');
  const kind = slash < 0 ? 'pod' : target.slice(0, slash);
  if (['svc', 'service', 'services'].includes(kind)) {
    const name = target.slice(slash + 1);
    const svc = await client.get<Service>(Resources.services, namespace, name);
    const selector = Object.entries(svc.spec?.selector || {}).map(([k, v]) => `${k}=${v}`).join(',');
    if (!selector) throw new Error(`service ${name} has no selector`);
    const pods = (await client.list<Pod>(Resources.pods, { namespace, labelSelector: selector })).items || [];
    const pod = pods.find((p) => p.status?.phase === 'Running');
    if (!pod) throw new Error(`timed out waiting for the condition (no running pods for service/${name})`);
    const ports = wanted.map(({ local, remote }) => {
      const sp = (svc.spec?.ports || []).find((p) => String(p.port) === remote || p.name === remote);
      if (!sp) throw new Error(`Service ${name} does not have a service port ${remote}`);
      const tp = sp.targetPort ?? sp.port;
      const podPort = typeof tp === 'number' ? tp : /^\d+$/.test(tp) ? Number(tp) : containerPort(pod, tp);
      if (!podPort) throw new Error(`Pod '${pod.metadata?.name}' does not have a named port '${String(tp)}'`);
      return { local, remote: podPort };
    });
    return { pod, ports };
  }
  const pod = await resolveLogsPod(client, namespace, target, streams);
  const ports = wanted.map(({ local, remote }) => {
    const n = /^\d+$/.test(remote) ? Number(remote) : containerPort(pod, remote);
    if (!n || n > 65535) throw new Error(`Pod '${pod.metadata?.name}' does not have a named port '${remote}'`);
    return { local, remote: n };
  });
  return { pod, ports };
}

/** Listens on every mapping and forwards until the signal aborts; resolves once listening (the servers run on). */
export async function startForwarding(client: KubeClient, pod: Pod, ports: PortMapping[], streams: Streams, address = '127.0.0.1'): Promise<{ ports: PortMapping[]; close(): void }> {
  if (pod.status?.phase !== 'Running') throw new Error(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Unknown'}`);
  const path = resourcePath(Resources.pods, { namespace: pod.metadata?.namespace, name: pod.metadata?.name, subresource: 'portforward' });
  const servers: net.Server[] = [];
  const bound: PortMapping[] = [];
  for (const m of ports) {
    const server = net.createServer((socket) => {
      streams.out(`Handling connection for ${bound.find((b) => b.remote === m.remote)?.local ?? m.local}\n`);
      forwardConnection(client, path, m.remote, socket, (message) => streams.err(`E: an error occurred forwarding ${m.local} -> ${m.remote}: ${message}\n`)).catch((err: Error) => {
        streams.err(`E: an error occurred forwarding ${m.local} -> ${m.remote}: ${err.message}\n`);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(m.local, address, () => resolve());
    });
    servers.push(server);
    const local = (server.address() as net.AddressInfo).port;
    bound.push({ local, remote: m.remote });
    streams.out(`Forwarding from ${address}:${local} -> ${m.remote}\n`);
  }
  return { ports: bound, close: () => servers.forEach((s) => s.close()) };
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('port-forward')
      .description('forward local ports to a pod')
      .argument('<target>', 'POD | TYPE/NAME (pod/x, deploy/x, svc/x)')
      .argument('<ports...>', '[LOCAL:]REMOTE')
      .option('--address <ip>', 'the local address to listen on', '127.0.0.1'),
  ).action(
    action(async (target: string, specs: string[], o: ClientFlags & { address: string }) => {
      await withClient(o, async (client) => {
        const { pod, ports } = await resolveForward(client, namespaceOf(client, o), target, specs, processStreams);
        const fwd = await startForwarding(client, pod, ports, processStreams, o.address);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        fwd.close();
      });
    }),
  );
}
