// `steer top pods|nodes`: metrics.k8s.io when the apiserver serves it, otherwise each node agent's
// /stats/summary (kubelet's Summary API) at the node's InternalIP and kubelet endpoint port — over HTTPS
// with the kubeconfig's CA and credentials when the apiserver is reached over HTTPS (a secured cluster's
// agents are too, behind the kubelet's authentication: nodes/stats), else plain HTTP.
import * as http from 'node:http';
import * as https from 'node:https';
import { Command } from 'commander';
import type { Node } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { nanoValue, value } from '../../lib/api/quantity';
import { Resources } from '../../lib/api/resources';
import { parseLabelSelector, matchesLabels } from '../../lib/api/selectors';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withAllNamespaces, withClient, withClientOptions } from '../options';
import { tabulate } from '../printers';

export interface Usage {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  cpuNanoCores: number;
  memoryBytes: number;
}

interface ContainerStats {
  cpu?: { usageNanoCores?: number };
  memory?: { workingSetBytes?: number };
}
interface SummaryStats {
  node?: { nodeName?: string; cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number } };
  pods?: Array<{
    podRef?: { name?: string; namespace?: string };
    cpu?: { usageNanoCores?: number };
    memory?: { workingSetBytes?: number };
    containers?: ContainerStats[];
  }>;
}

/** Quantity strings as metrics.k8s.io sends them (`1234567n`, `250m`, `5120Ki`, `2048Mi`) to numbers; absent or unreadable: 0. */
export function parseCpuNano(q: string | undefined): number {
  return quantityOrZero(q, nanoValue);
}

export function parseBytes(q: string | undefined): number {
  return quantityOrZero(q, value);
}

function quantityOrZero(q: string | undefined, read: (q: string) => number): number {
  if (!q) return 0;
  try {
    return read(q);
  } catch {
    return 0;
  }
}

/** kubectl's cells: CPU rounded up to millicores, memory in Mi. */
export function cpuCell(nano: number): string {
  return `${Math.ceil(nano / 1e6)}m`;
}
export function memoryCell(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))}Mi`;
}

function getJson<T>(url: string, tlsOptions: https.RequestOptions, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode || 0) >= 400) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (e) {
          reject(e);
        }
      });
    };
    const req = url.startsWith('https:') ? https.get(url, { ...tlsOptions, timeout: timeoutMs, agent: false }, onResponse) : http.get(url, { timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
  });
}

async function metricsApiServed(client: KubeClient): Promise<boolean> {
  try {
    const groups = await client.request<{ groups?: Array<{ name: string }> }>('GET', '/apis');
    return (groups.groups || []).some((g) => g.name === 'metrics.k8s.io');
  } catch {
    return false;
  }
}

function nodeStatsUrl(n: Node, scheme: 'http' | 'https'): string | undefined {
  const addr = (n.status?.addresses || []).find((a) => a.type === 'InternalIP')?.address || (n.status?.addresses || [])[0]?.address;
  const port = n.status?.daemonEndpoints?.kubeletEndpoint?.Port || 10250;
  if (!addr) return undefined;
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return `${scheme}://${host}:${port}/stats/summary`;
}

async function summaries(client: KubeClient, streams: Streams): Promise<Array<{ node: Node; stats: SummaryStats }>> {
  const nodes = await client.list<Node>(Resources.nodes);
  const out: Array<{ node: Node; stats: SummaryStats }> = [];
  const secure = client.server.protocol === 'https:';
  // The kubeconfig's CA (which signs the agents' serving certificates too) and its client credentials;
  // the server name of the apiserver's certificate does not apply to the agents'.
  const tlsOptions: https.RequestOptions = secure ? { ...(await client.connectionOptions()), servername: undefined } : {};
  for (const node of nodes.items || []) {
    const url = nodeStatsUrl(node, secure ? 'https' : 'http');
    if (!url) continue;
    try {
      out.push({ node, stats: await getJson<SummaryStats>(url, tlsOptions) });
    } catch (err) {
      streams.err(`W: node ${node.metadata?.name}: ${(err as Error).message}\n`);
    }
  }
  return out;
}

export async function podUsage(client: KubeClient, namespace: string | undefined, streams: Streams): Promise<Usage[]> {
  if (await metricsApiServed(client)) {
    const path = namespace ? `/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods` : '/apis/metrics.k8s.io/v1beta1/pods';
    const list = await client.request<{ items?: Array<{ metadata: { name: string; namespace?: string; labels?: Record<string, string> }; containers?: Array<{ usage?: { cpu?: string; memory?: string } }> }> }>('GET', path);
    return (list.items || []).map((m) => ({
      name: m.metadata.name,
      namespace: m.metadata.namespace,
      labels: m.metadata.labels,
      cpuNanoCores: (m.containers || []).reduce((s, c) => s + parseCpuNano(c.usage?.cpu), 0),
      memoryBytes: (m.containers || []).reduce((s, c) => s + parseBytes(c.usage?.memory), 0),
    }));
  }
  const out: Usage[] = [];
  for (const { stats } of await summaries(client, streams)) {
    for (const p of stats.pods || []) {
      if (namespace && p.podRef?.namespace !== namespace) continue;
      const sum = (f: (c: ContainerStats) => number) => (p.containers || []).reduce((s, c) => s + f(c), 0);
      out.push({
        name: p.podRef?.name || '',
        namespace: p.podRef?.namespace,
        cpuNanoCores: p.cpu?.usageNanoCores ?? sum((c) => c.cpu?.usageNanoCores || 0),
        memoryBytes: p.memory?.workingSetBytes ?? sum((c) => c.memory?.workingSetBytes || 0),
      });
    }
  }
  return out;
}

export async function runTopPods(client: KubeClient, namespace: string | undefined, selector: string | undefined, streams: Streams): Promise<void> {
  let usage = await podUsage(client, namespace, streams);
  if (selector) {
    const reqs = parseLabelSelector(selector);
    const pods = await client.list<{ metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }>(Resources.pods, { namespace, labelSelector: selector });
    const keep = new Set((pods.items || []).filter((p) => matchesLabels(reqs, p.metadata?.labels)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
    usage = usage.filter((u) => keep.has(`${u.namespace}/${u.name}`));
  }
  if (usage.length === 0) {
    streams.err(namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
    return;
  }
  usage.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const rows = usage.map((u) => (namespace ? [] : [u.namespace || '']).concat([u.name, cpuCell(u.cpuNanoCores), memoryCell(u.memoryBytes)]));
  const header = (namespace ? [] : ['NAMESPACE']).concat(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  streams.out(tabulate([header, ...rows]).text);
}

export async function runTopNodes(client: KubeClient, streams: Streams): Promise<void> {
  const nodes = await client.list<Node>(Resources.nodes);
  const usage = new Map<string, { cpu: number; mem: number }>();
  if (await metricsApiServed(client)) {
    const list = await client.request<{ items?: Array<{ metadata: { name: string }; usage?: { cpu?: string; memory?: string } }> }>('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    for (const m of list.items || []) usage.set(m.metadata.name, { cpu: parseCpuNano(m.usage?.cpu), mem: parseBytes(m.usage?.memory) });
  } else {
    for (const { node, stats } of await summaries(client, streams)) {
      usage.set(node.metadata?.name || '', { cpu: stats.node?.cpu?.usageNanoCores || 0, mem: stats.node?.memory?.workingSetBytes || 0 });
    }
  }
  const rows = [['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%']];
  for (const n of nodes.items || []) {
    const name = n.metadata?.name || '';
    const u = usage.get(name);
    if (!u) {
      rows.push([name, '<unknown>', '<unknown>', '<unknown>', '<unknown>']);
      continue;
    }
    const cpuAlloc = parseCpuNano(n.status?.allocatable?.cpu);
    const memAlloc = parseBytes(n.status?.allocatable?.memory);
    rows.push([
      name,
      cpuCell(u.cpu),
      cpuAlloc ? `${Math.floor((u.cpu / cpuAlloc) * 100)}%` : '<unknown>',
      memoryCell(u.mem),
      memAlloc ? `${Math.floor((u.mem / memAlloc) * 100)}%` : '<unknown>',
    ]);
  }
  streams.out(tabulate(rows).text);
}

/** `steer top pods` and `steer top nodes`. */
export function register(program: Command): void {
  const top = program.command('top').description('CPU and memory use of pods or nodes');
  withAllNamespaces(withClientOptions(top.command('pods').alias('pod').alias('po').option('-l, --selector <selector>', 'label selector'))).action(
    action(async (o: ClientFlags & { selector?: string }) => {
      await withClient(o, (client) => runTopPods(client, o.allNamespaces ? undefined : namespaceOf(client, o), o.selector, processStreams));
    }),
  );
  withClientOptions(top.command('nodes').alias('node').alias('no')).action(
    action(async (o: ClientFlags) => {
      await withClient(o, (client) => runTopNodes(client, processStreams));
    }),
  );
}
