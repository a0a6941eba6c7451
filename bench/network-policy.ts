// NetworkPolicy enforcement benchmark, in network namespaces this bench creates (and deletes): a "node"
// namespace with a bridge (bridged traffic passes iptables' FORWARD, as on a node with CNI's bridge) and
// a client and a server "pod" behind veths on it; the node agent's NetworkPolicyEnforcer programs the
// node namespace from an in-process apiserver holding the client, the server and N other pods.
//   1. What a policy costs each new connection: sequential TCP connects client → server (connect, then
//      close; a child process in the client's namespace), p50/p99 connect time and connects/s with no
//      policy at all (the floor, run in the same round) and with a policy isolating the server whose
//      allowed peers are N pods plus the client — the client's address last in the peers chain, the
//      worst case of its linear match (kube-router's ipsets would make it one lookup). Rounds alternate
//      floor / policy; goal: p50 ≤ 1.2× the floor at 1,000 peers.
//   2. Programming: a policy created → its rules in place (the enforcer's restore done), and a policy's
//      peer pod relabelled → its rules rewritten, with N pods in the cluster; the pure core's time alone
//      for the same input.
// Usage: npm run build && node dist/bench/network-policy.js [--peers 0,1000,5000] [--connects 2000] [--rounds 3]
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { startApiServer } from '../apiserver';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { computeNetworkPolicyRules, NetworkPolicyEnforcer } from '../node-agent';
import { percentile } from './cri-floor';

const suffix = String(process.pid % 100000);
const nodeNs = `steer-bnpn-${suffix}`;
const clientNs = `steer-bnpc-${suffix}`;
const serverNs = `steer-bnps-${suffix}`;
const SERVER_IP = '10.81.0.2';
const CLIENT_IP = '10.81.0.3';
const PORT = 8080;
const NODE = 'bench-np-node';

function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function setUpNamespaces(): void {
  sh(['ip', 'netns', 'add', nodeNs]);
  const inNode = (...a: string[]) => sh(['ip', 'netns', 'exec', nodeNs, ...a]);
  inNode('ip', 'link', 'set', 'lo', 'up');
  inNode('ip', 'link', 'add', 'br0', 'type', 'bridge');
  inNode('ip', 'addr', 'add', '10.81.0.1/16', 'dev', 'br0');
  inNode('ip', 'link', 'set', 'br0', 'up');
  [
    [serverNs, SERVER_IP],
    [clientNs, CLIENT_IP],
  ].forEach(([ns, ip], i) => {
    sh(['ip', 'netns', 'add', ns]);
    inNode('ip', 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    inNode('ip', 'link', 'set', `veth${i}`, 'master', 'br0');
    inNode('ip', 'link', 'set', `veth${i}`, 'up');
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/16`, 'dev', 'eth0']);
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up']);
  });
  if (inNode('cat', '/proc/sys/net/bridge/bridge-nf-call-iptables').trim() !== '1') throw new Error('bridge-nf-call-iptables is not 1 in the node namespace: bridged traffic would skip FORWARD');
}

function tearDownNamespaces(): void {
  for (const ns of [clientNs, serverNs, nodeNs]) spawnSync('ip', ['netns', 'del', ns]);
}

/** A child process in a namespace running this script's `role`. */
function inNamespace(ns: string, role: string, args: string[]) {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, __filename, '--role', role, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The client role: N sequential connects, each closed once established; prints the times (µs) as JSON. */
async function connectLoop(n: number): Promise<void> {
  const times: number[] = [];
  let refused = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: SERVER_IP, port: PORT });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) times.push((performance.now() - t0) * 1000);
    else refused++;
  }
  process.stdout.write(`${JSON.stringify({ times, refused })}\n`);
}

async function runConnects(n: number): Promise<{ times: number[]; refused: number; perSecond: number }> {
  const child = inNamespace(clientNs, 'client', ['--connects', String(n)]);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  await new Promise((r) => child.once('exit', r));
  const parsed = JSON.parse(out) as { times: number[]; refused: number };
  const total = parsed.times.reduce((a, b) => a + b, 0) / 1e6;
  return { ...parsed, perSecond: parsed.times.length / total };
}

function fmt(us: number): string {
  return `${(us / 1000).toFixed(3)} ms`;
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 1));
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--role <role>')
    .option('--connects <n>', 'connects per measurement', (v) => Number(v), 2000)
    .option('--rounds <n>', 'floor / policy rounds per peer count', (v) => Number(v), 3)
    .option('--peers <list>', 'peer pods in the allowing policy', '0,1000,5000')
    .parse();
  const o = program.opts<{ role?: string; connects: number; rounds: number; peers: string }>();
  if (o.role === 'client') return connectLoop(o.connects);
  if (o.role === 'server') {
    net.createServer((s) => s.destroy()).listen(PORT, SERVER_IP, () => console.log('up'));
    return;
  }

  const peerCounts = o.peers.split(',').map(Number);
  tearDownNamespaces();
  setUpNamespaces();
  const server = inNamespace(serverNs, 'server', []);
  const api = await startApiServer({ host: '127.0.0.1', port: 0 });
  const client = KubeClient.forServer(api.url);
  const enforcer = new NetworkPolicyEnforcer({ client, nodeName: NODE, instance: `bench-np-${suffix}`, minSyncIntervalMs: 0, checkIntervalMs: 0, commandPrefix: ['ip', 'netns', 'exec', nodeNs], log: () => undefined });
  try {
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const pod = (name: string, ip: string, labels: Record<string, string>, node = NODE): Pod => ({ metadata: { name, namespace: 'default', labels }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running', podIP: ip } });
    const createPod = async (p: Pod) => {
      const created = await client.create<Pod>(Resources.pods, 'default', p);
      await client.update<Pod>(Resources.pods, { ...created, status: p.status }, 'status');
    };
    await createPod(pod('server', SERVER_IP, { app: 'server' }));
    // "zz-": the client sorts last among its peers, the worst case of the linear peers chain.
    await createPod(pod('zz-client', CLIENT_IP, { role: 'client' }));
    await enforcer.start();
    let made = 0;
    console.log(`node-agent NetworkPolicyEnforcer, connects ${o.connects} per measurement, ${o.rounds} rounds per peer count; load ${os.loadavg()[0].toFixed(2)}`);
    for (const peers of peerCounts) {
      // Peers on another node: addresses in 10.82/16, which this node only matches against.
      for (; made < peers; made += 200) {
        const batch = [];
        for (let i = made; i < Math.min(peers, made + 200); i++) batch.push(createPod(pod(`peer-${String(i).padStart(5, '0')}`, `10.82.${Math.floor(i / 250)}.${(i % 250) + 1}`, { role: 'client' }, 'elsewhere')));
        await Promise.all(batch);
      }
      await enforcer.settled();
      const policy: NetworkPolicy = { metadata: { name: 'server-clients', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: PORT }] }] } };
      // 2. programming: created → restored.
      const restores = enforcer.restoreCount;
      const t0 = performance.now();
      await client.create(Resources.networkpolicies, 'default', policy);
      await waitUntil(() => enforcer.restoreCount > restores);
      const programmed = performance.now() - t0;
      const r2 = enforcer.restoreCount;
      const victim = peers > 0 ? 'peer-00000' : 'zz-client';
      const t1 = performance.now();
      await client.patch(Resources.pods, 'default', victim, { metadata: { labels: { role: 'not-client' } } });
      await waitUntil(() => enforcer.restoreCount > r2);
      const relabelled = performance.now() - t1;
      await client.patch(Resources.pods, 'default', victim, { metadata: { labels: { role: 'client' } } });
      await enforcer.settled();
      const pods = (await client.list<Pod>(Resources.pods, {})).items;
      const c0 = performance.now();
      const rules = computeNetworkPolicyRules({ policies: [policy], pods, namespaces: [], nodeName: NODE, tag: 'BNCH' });
      const computeMs = performance.now() - c0;
      // 1. per connection: floor (no policy) and policy, alternating.
      const floor: number[] = [];
      const withPolicy: number[] = [];
      const rates: { floor: number[]; policy: number[] } = { floor: [], policy: [] };
      let refused = 0;
      for (let round = 0; round < o.rounds; round++) {
        await client.delete(Resources.networkpolicies, 'default', 'server-clients');
        await enforcer.settled();
        const f = await runConnects(o.connects);
        floor.push(...f.times);
        rates.floor.push(f.perSecond);
        refused += f.refused;
        await client.create(Resources.networkpolicies, 'default', policy);
        await enforcer.settled();
        const p = await runConnects(o.connects);
        withPolicy.push(...p.times);
        rates.policy.push(p.perSecond);
        refused += p.refused;
      }
      await client.delete(Resources.networkpolicies, 'default', 'server-clients');
      await enforcer.settled();
      const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
      const p50f = med(floor);
      const p50p = med(withPolicy);
      const p99f = percentile([...floor].sort((a, b) => a - b), 99);
      const p99p = percentile([...withPolicy].sort((a, b) => a - b), 99);
      console.log(`\n${peers} peer pods (+ the client, last), ${rules.rules.length} rules:`);
      console.log(`  connect p50 ${fmt(p50p)} vs floor ${fmt(p50f)} (${(p50p / p50f).toFixed(2)}×${peers === 1000 ? ', goal ≤ 1.2×' : ''}), p99 ${fmt(p99p)} vs ${fmt(p99f)} (${(p99p / p99f).toFixed(2)}×); connects/s ${med(rates.policy).toFixed(0)} vs ${med(rates.floor).toFixed(0)}${refused ? `; ${refused} refused (should be 0)` : ''}`);
      console.log(`  policy created → rules in place ${programmed.toFixed(1)} ms; a peer relabelled → rewritten ${relabelled.toFixed(1)} ms; the pure core alone ${computeMs.toFixed(1)} ms for ${pods.length} pods`);
    }
  } finally {
    await enforcer.stop().catch(() => undefined);
    server.kill('SIGKILL');
    client.close();
    await api.close();
    tearDownNamespaces();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
