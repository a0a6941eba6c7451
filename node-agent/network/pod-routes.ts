// Cross-node pod routes the way flannel's host-gw backend and kube-router do it: for every other node,
// "its podCIDR via its InternalIP" in the host's routing table, so pods on different nodes reach each
// other when all nodes share one L2 network. The core (desired routes from the Node list, compared with
// the routes we own → actions) is pure and table-tested; PodRouteSync is the thin loop around it, fed
// by a Node informer and applying actions with `ip route`.
//
// Routes are tagged with their own routing protocol number (`proto 198`, default), so the loop only
// ever lists, changes and removes routes it made, never a route someone else added. Beside the routes,
// as flannel's masquerade rules do, a nat chain jumped to first from POSTROUTING keeps pods' addresses
// on traffic to the other nodes' pods (the runtime setup masquerades everything leaving the node's pod
// CIDR); it stays while the agent restarts, as the routes do.
import { execFile } from 'node:child_process';
import type { Node } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { Informer } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { canonicalIPv4Cidr, cidrsOverlap, isIPv4 } from '../../lib/api/ip';
import { Iptables } from './iptables';
import { chainsInSave, type HookRule, restoreInput } from './proxy-rules';

/** Default route protocol number tagging steer's pod routes (unassigned in rt_protos). */
export const DEFAULT_ROUTE_PROTO = 198;

export interface PodRoute {
  /** Destination, canonical "a.b.c.d/len". */
  dst: string;
  /** Gateway: the other node's InternalIP. */
  via: string;
}

export type RouteAction =
  | { op: 'add'; route: PodRoute; node: string }
  | { op: 'replace'; route: PodRoute; node: string; was: string }
  | { op: 'delete'; route: PodRoute };

export interface RoutePlan {
  actions: RouteAction[];
  /** Nodes that get no route, and why (no podCIDR, no InternalIP, a CIDR clash, ...). */
  skipped: { node: string; reason: string }[];
}






/** The node's IPv4 pod CIDRs (spec.podCIDRs, else spec.podCIDR), as written (not yet validated). */
export function nodePodCidrs(node: Node): string[] {
  const list = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return list.filter((c) => !c.includes(':'));
}

export function nodeInternalIPv4(node: Node): string | undefined {
  return (node.status?.addresses || []).find((a) => a.type === 'InternalIP' && isIPv4(a.address))?.address;
}

/**
 * The routes this node should have: every other node's IPv4 pod CIDRs via its InternalIP. A CIDR that
 * overlaps this node's own pod CIDRs or an earlier node's (by name) is skipped, never routed twice.
 */
export function desiredPodRoutes(nodes: Node[], selfName: string): { routes: Map<string, PodRoute & { node: string }>; skipped: RoutePlan['skipped'] } {
  const skipped: RoutePlan['skipped'] = [];
  const self = nodes.find((n) => n.metadata?.name === selfName);
  const own = (self ? nodePodCidrs(self) : []).map(canonicalIPv4Cidr).filter((c): c is string => !!c);
  const routes = new Map<string, PodRoute & { node: string }>();
  const sorted = nodes.filter((n) => n.metadata?.name && n.metadata.name !== selfName).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  for (const node of sorted) {
    const name = node.metadata!.name!;
    if (node.metadata?.deletionTimestamp) {
      skipped.push({ node: name, reason: 'being deleted' });
      continue;
    }
    const cidrs = nodePodCidrs(node);
    if (!cidrs.length) {
      skipped.push({ node: name, reason: 'no IPv4 spec.podCIDR' });
      continue;
    }
    const via = nodeInternalIPv4(node);
    if (!via) {
      skipped.push({ node: name, reason: 'no IPv4 InternalIP' });
      continue;
    }
    for (const raw of cidrs) {
      const dst = canonicalIPv4Cidr(raw);
      if (!dst) {
        skipped.push({ node: name, reason: `invalid podCIDR ${JSON.stringify(raw)}` });
        continue;
      }
      const clashOwn = own.find((o) => cidrsOverlap(o, dst));
      if (clashOwn) {
        skipped.push({ node: name, reason: `podCIDR ${dst} overlaps this node's ${clashOwn}` });
        continue;
      }
      const clash = [...routes.values()].find((r) => cidrsOverlap(r.dst, dst));
      if (clash) {
        skipped.push({ node: name, reason: `podCIDR ${dst} overlaps ${clash.node}'s ${clash.dst}` });
        continue;
      }
      routes.set(dst, { dst, via, node: name });
    }
  }
  return { routes, skipped };
}

/**
 * Actions that turn the observed routes (only those carrying our protocol tag) into the desired ones:
 * add what is missing, replace a wrong gateway, delete what no node asks for (and duplicates).
 */
export function planPodRoutes(nodes: Node[], selfName: string, observed: PodRoute[]): RoutePlan {
  const { routes: desired, skipped } = desiredPodRoutes(nodes, selfName);
  const actions: RouteAction[] = [];
  const seen = new Set<string>();
  for (const o of observed) {
    const dst = canonicalIPv4Cidr(o.dst) ?? o.dst;
    const want = desired.get(dst);
    if (!want || seen.has(dst)) {
      actions.push({ op: 'delete', route: { dst, via: o.via } });
      continue;
    }
    seen.add(dst);
    if (o.via !== want.via) actions.push({ op: 'replace', route: { dst, via: want.via }, node: want.node, was: o.via });
  }
  for (const [dst, want] of desired) if (!seen.has(dst)) actions.push({ op: 'add', route: { dst, via: want.via }, node: want.node });
  return { actions, skipped };
}

/** The nat chain of pod routes' masquerade exception (POSTROUTING jumps to it first). */
export const PodSourceChain = 'STEER-POD-ROUTES';

export const podSourceHook: HookRule = {
  table: 'nat',
  chain: 'POSTROUTING',
  args: ['-m', 'comment', '--comment', "steer pod routes: pod addresses kept towards other nodes", '-j', PodSourceChain],
};

/**
 * The nat rules that keep this node's pods' addresses on their way to the pods of the nodes it routes
 * to: the runtime setup masquerades pod traffic leaving the node's own pod CIDR, which would make every
 * pod on another node see the node's address instead (Kubernetes' network model wants none of that, and
 * NetworkPolicies match peers by pod address). ACCEPT in nat ends SNAT for the connection.
 */
export function podSourceRules(nodes: Node[], selfName: string): string[] {
  const self = nodes.find((n) => n.metadata?.name === selfName);
  const own = (self ? nodePodCidrs(self) : []).map(canonicalIPv4Cidr).filter((c): c is string => !!c);
  const rules: string[] = [];
  for (const route of desiredPodRoutes(nodes, selfName).routes.values()) {
    for (const src of own) rules.push(`-A ${PodSourceChain} -s ${src} -d ${route.dst} -m comment --comment "to the pods of ${route.node}" -j ACCEPT`);
  }
  return rules;
}

/** One route of `ip -j route show` (the fields we read). */
interface IpJsonRoute {
  dst?: string;
  gateway?: string;
}

/** Parses `ip -j -4 route show ...`: routes with a gateway (ours always have one). */
export function parseIpRouteJson(text: string): PodRoute[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const parsed = JSON.parse(trimmed) as IpJsonRoute[];
  return parsed.filter((r) => r.dst && r.gateway).map((r) => ({ dst: canonicalIPv4Cidr(r.dst!) ?? r.dst!, via: r.gateway! }));
}

/** Runs `ip ARGS`; resolves with stdout, rejects with ip's stderr. */
export type IpRunner = (args: string[]) => Promise<string>;

export const runIp: IpRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });

export interface PodRouteSyncOptions {
  client: KubeClient;
  /** This node (its own podCIDR is never routed). */
  nodeName: string;
  /** Route protocol tag (default 198). */
  proto?: number;
  /** Routing table (default main). */
  table?: string;
  /** Routes are re-checked this often even without Node changes, to repair removed ones (default 10 s). */
  resyncIntervalMs?: number;
  /** Delay after a failed sync (default 1 s, doubling up to 30 s). */
  retryMs?: number;
  ip?: IpRunner;
  /**
   * Where the masquerade exception for other nodes' pods lives (podSourceRules; default the host's
   * iptables; false: none, for tests whose `ip` is not the host's).
   */
  iptables?: Iptables | false;
  log?: (msg: string) => void;
}

/** Keeps this host's pod routes in line with the Node list. */
export class PodRouteSync {
  private readonly informer: Informer<Node>;
  private readonly ip: IpRunner;
  private readonly proto: string;
  private readonly table: string;
  private readonly log: (msg: string) => void;
  private timer?: NodeJS.Timeout;
  private resync?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private failures = 0;
  private lastSkipped = '';
  private readonly ipt: Iptables | undefined;
  /** The masquerade exception's restore input as last written ('' = unknown: write it). */
  private lastSourceRules = '';
  /** Completed syncs (for tests and metrics). */
  syncs = 0;
  lastError?: string;

  constructor(private readonly o: PodRouteSyncOptions) {
    this.informer = new Informer<Node>(o.client, Resources.nodes);
    this.ip = o.ip || runIp;
    this.proto = String(o.proto ?? DEFAULT_ROUTE_PROTO);
    this.table = o.table || 'main';
    this.ipt = o.iptables === false ? undefined : (o.iptables ?? new Iptables());
    this.log = o.log || ((msg) => console.error(`pod-routes: ${msg}`));
  }

  async start(): Promise<void> {
    const trigger = () => this.schedule(0);
    this.informer.onAdd(trigger);
    this.informer.onUpdate((oldNode, newNode) => {
      if (routeFingerprint(oldNode) !== routeFingerprint(newNode)) trigger();
    });
    this.informer.onDelete(trigger);
    await this.informer.start();
    // A first failure (say, a gateway not reachable yet) must not stop the agent: it is retried.
    await this.syncNow().catch((err: unknown) => this.failed(err));
    this.resync = setInterval(() => this.schedule(0), this.o.resyncIntervalMs ?? 10_000);
    this.resync.unref?.();
  }

  /** Removes nothing from the host: routes stay while the agent restarts (as flannel's do). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.informer.stop();
    if (this.timer) clearTimeout(this.timer);
    if (this.resync) clearInterval(this.resync);
    await this.running?.catch(() => undefined);
  }

  /** Deletes every route carrying our tag, and the masquerade exception (for teardown). */
  async removeAll(): Promise<void> {
    for (const r of await this.observed()) await this.ip(['route', 'del', r.dst, 'via', r.via, 'proto', this.proto, 'table', this.table]);
    if (!this.ipt) return;
    await this.ipt.remove(podSourceHook);
    const existing = chainsInSave(await this.ipt.save('nat'), PodSourceChain);
    if (existing.length) await this.ipt.restore(restoreInput({ nat: { chains: [], rules: [] }, filter: { chains: [], rules: [] } }, { nat: existing, filter: [] }));
    this.lastSourceRules = '';
  }

  /** Writes the masquerade exception when it changed, and keeps the jump to it first in POSTROUTING. */
  private async syncSourceRules(nodes: Node[]): Promise<void> {
    if (!this.ipt) return;
    const input = restoreInput({ nat: { chains: [PodSourceChain], rules: podSourceRules(nodes, this.o.nodeName) }, filter: { chains: [], rules: [] } }, { nat: [], filter: [] });
    if (input !== this.lastSourceRules) {
      await this.ipt.restore(input);
      this.lastSourceRules = input;
    }
    const first = (await this.ipt.listRules('nat', 'POSTROUTING'))[0];
    if (!first?.endsWith(` -j ${PodSourceChain}`)) {
      await this.ipt.remove(podSourceHook);
      await this.ipt.ensure(podSourceHook);
    }
  }

  /** Runs one sync now (coalescing with a running one); rejects when it failed. */
  async syncNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncNow().then(
        () => {
          this.failures = 0;
          this.lastError = undefined;
        },
        (err: unknown) => this.failed(err),
      );
    }, delayMs);
    this.timer.unref?.();
  }

  private failed(err: unknown): void {
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    this.log(`sync failed (retrying): ${this.lastError}`);
    const base = this.o.retryMs ?? 1000;
    this.schedule(Math.min(base * 2 ** (this.failures - 1), 30_000));
  }

  private async observed(): Promise<PodRoute[]> {
    return parseIpRouteJson(await this.ip(['-j', '-4', 'route', 'show', 'proto', this.proto, 'table', this.table]));
  }

  private async syncOnce(): Promise<void> {
    const nodes = this.informer.list();
    const plan = planPodRoutes(nodes, this.o.nodeName, await this.observed());
    const skipped = plan.skipped.map((s) => `${s.node}: ${s.reason}`).join('; ');
    if (skipped !== this.lastSkipped) {
      if (skipped) this.log(`no route for ${skipped}`);
      this.lastSkipped = skipped;
    }
    const errors: string[] = [];
    for (const a of plan.actions) {
      const route = [a.route.dst, 'via', a.route.via, 'proto', this.proto, 'table', this.table];
      try {
        if (a.op === 'add') await this.ip(['route', 'add', ...route]);
        else if (a.op === 'replace') await this.ip(['route', 'replace', ...route]);
        else await this.ip(['route', 'del', ...route]);
        this.log(a.op === 'delete' ? `deleted ${a.route.dst} via ${a.route.via}` : `${a.op === 'add' ? 'added' : 'replaced'} ${a.route.dst} via ${a.route.via} (node ${a.node})`);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    try {
      await this.syncSourceRules(nodes);
    } catch (err) {
      this.lastSourceRules = '';
      errors.push(err instanceof Error ? err.message : String(err));
    }
    this.syncs++;
    if (errors.length) throw new Error(errors.join('; '));
  }
}

/** The Node fields routes depend on: other changes (heartbeats, conditions) do not trigger a sync. */
function routeFingerprint(node: Node): string {
  return JSON.stringify([nodePodCidrs(node), nodeInternalIPv4(node), !!node.metadata?.deletionTimestamp]);
}
