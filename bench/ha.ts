// Failover times of the HA control plane (issue 15), as separate processes on this machine
// (bench/ha-cluster.ts: 3 etcd members, 2 apiservers on etcd, leader-elected controller managers and
// schedulers). Each figure is printed next to its floor, measured in the same run where it can be:
//   - etcd leader kill -9: the longest time without an acknowledged create through the apiservers, next
//     to the same for raw etcd puts sent by a client to the surviving members at the same time;
//   - apiserver kill -9: how long clients given both URLs go without an acknowledged write;
//   - controller manager / scheduler kill -9: when the standby holds the Lease, next to the lease
//     duration (the least a crash can take); graceful stop (SIGTERM releases the Lease): next to the
//     retry period.
//
// Usage: npm run build && node dist/bench/ha.js [--rounds 3]
import type { Lease } from 'kubernetes-types/coordination/v1';
import { EtcdClient } from '../apiserver';
import { Resources } from '../lib/api/resources';
import { KubeClient } from '../lib/client/client';
import { LEADER_ELECTION_DEFAULTS } from '../lib/client/leader-election';
import { HaCluster, longestGapAfter, Proc, rawPuts, writers } from './ha-cluster';

interface Row {
  what: string;
  figure: string;
  floor: string;
  goal?: string;
}
const rows: Row[] = [];
const ms = (n: number) => `${Math.round(n)} ms`;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve(check()).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function etcdLeaderKill(round: number): Promise<{ api: number; raw: number; lost: number }> {
  const cluster = await HaCluster.start({ etcdMembers: 3, apiservers: 2 });
  const client = KubeClient.forServer(cluster.servers);
  try {
    const leader = await cluster.etcdLeader();
    const w = writers(client, `r${round}`, 8);
    const raw = rawPuts(cluster.etcd.endpoints.filter((e) => e !== leader.clientUrl));
    await until('writes to flow', () => w.acked.length >= 100 && raw.acked.length >= 20);
    const killedAt = Date.now();
    cluster.killEtcdMember(leader);
    await until('writes after the kill', () => w.acked.filter((x) => x.at > killedAt + 3000).length >= 20 && raw.acked.some((x) => x.at > killedAt + 3000));
    await Promise.all([w.stop(), raw.stop()]);
    const present = new Set((await client.list<{ metadata: { name: string } }>(Resources.configmaps, { namespace: 'default' })).items.map((o) => o.metadata.name));
    return { api: longestGapAfter(w.acked, killedAt), raw: longestGapAfter(raw.acked, killedAt), lost: w.acked.filter((a) => !present.has(a.name)).length };
  } finally {
    client.close();
    await cluster.stop();
  }
}

async function apiserverKill(round: number): Promise<{ gap: number; lost: number }> {
  const cluster = await HaCluster.start({ etcdMembers: 1, apiservers: 2 });
  const [dead, survivor] = cluster.apiservers;
  const client = KubeClient.forServer(`${dead.url},${survivor.url}`);
  const check = KubeClient.forServer(survivor.url);
  try {
    const w = writers(client, `a${round}`, 4);
    await until('writes to flow', () => w.acked.length >= 100);
    const killedAt = Date.now();
    await dead.kill9();
    await until('writes after the kill', () => w.acked.filter((x) => x.at > killedAt + 2000).length >= 20);
    await w.stop();
    const present = new Set((await check.list<{ metadata: { name: string } }>(Resources.configmaps, { namespace: 'default' })).items.map((o) => o.metadata.name));
    return { gap: longestGapAfter(w.acked, killedAt), lost: w.acked.filter((a) => !present.has(a.name)).length };
  } finally {
    client.close();
    check.close();
    await cluster.stop();
  }
}

/** Leader election hand-overs of the controller manager and the scheduler: after kill -9 and after SIGTERM. */
async function leaderHandovers(): Promise<Record<'cmCrash' | 'cmGraceful' | 'schedCrash' | 'schedGraceful', number>> {
  const cluster = await HaCluster.start({ etcdMembers: 1, apiservers: 1 });
  const client = KubeClient.forServer(cluster.servers);
  const holder = async (name: string) => (await client.get<Lease>(Resources.leases, 'kube-system', name).catch(() => undefined))?.spec?.holderIdentity ?? '';
  const result = { cmCrash: 0, cmGraceful: 0, schedCrash: 0, schedGraceful: 0 };
  try {
    const procs: Proc[] = [];
    for (const n of ['cm-1', 'cm-2', 'cm-3']) procs.push(await cluster.startControllers(n));
    for (const n of ['sched-1', 'sched-2', 'sched-3']) procs.push(await cluster.startScheduler(n));
    const leaderProc = async (lease: string, kind: string) => {
      const h = await until(`a ${lease} leader`, () => holder(lease));
      return { h, proc: procs.find((p) => p.alive() && p.name.startsWith(kind) && (p.name === h || p.output().includes(`${h} became leader`)))! };
    };
    const handover = async (lease: string, kind: string, how: 'crash' | 'graceful') => {
      const { h, proc } = await leaderProc(lease, kind);
      // Just after a renewal, so that the crash figure is not shortened by an old one.
      const before = (await client.get<Lease>(Resources.leases, 'kube-system', lease)).spec?.renewTime;
      await until('a renewal', async () => (await client.get<Lease>(Resources.leases, 'kube-system', lease)).spec?.renewTime !== before, 10_000, 20);
      const t0 = Date.now();
      if (how === 'crash') await proc.kill9();
      else void proc.stop();
      await until(`a new ${lease} leader`, async () => ![h, ''].includes(await holder(lease)), 60_000, 20);
      return Date.now() - t0;
    };
    result.cmGraceful = await handover('steer-controller-manager', 'cm-', 'graceful');
    result.cmCrash = await handover('steer-controller-manager', 'cm-', 'crash');
    result.schedGraceful = await handover('kube-scheduler', 'sched-', 'graceful');
    result.schedCrash = await handover('kube-scheduler', 'sched-', 'crash');
    return result;
  } finally {
    client.close();
    await cluster.stop();
  }
}

function printRows(): void {
  const cols: Array<keyof Row> = ['what', 'figure', 'floor', 'goal'];
  const head: Row = { what: 'measure', figure: 'steer', floor: 'floor', goal: '' };
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  for (const r of all) console.log(cols.map((c, i) => (r[c] ?? '').padEnd(width[i])).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = Number(args[args.indexOf('--rounds') + 1] || 0) || 3;
  const etcdKills: Array<{ api: number; raw: number; lost: number }> = [];
  const apiKills: Array<{ gap: number; lost: number }> = [];
  const handovers: Array<Awaited<ReturnType<typeof leaderHandovers>>> = [];
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`round ${r + 1}/${rounds}: etcd leader kill...\n`);
    etcdKills.push(await etcdLeaderKill(r));
    process.stderr.write(`round ${r + 1}/${rounds}: apiserver kill...\n`);
    apiKills.push(await apiserverKill(r));
    process.stderr.write(`round ${r + 1}/${rounds}: leader election hand-overs...\n`);
    handovers.push(await leaderHandovers());
  }
  const le = LEADER_ELECTION_DEFAULTS;
  rows.push({ what: `etcd leader kill -9: longest write gap through the apiservers (median of ${rounds})`, figure: ms(median(etcdKills.map((k) => k.api))), floor: `${ms(median(etcdKills.map((k) => k.raw)))} raw etcd puts`, goal: 'goal <= 2000 ms' });
  rows.push({ what: '  acknowledged writes lost', figure: String(etcdKills.reduce((n, k) => n + k.lost, 0)), floor: '0' });
  rows.push({ what: `apiserver kill -9: longest write gap of a client given both URLs (median of ${rounds})`, figure: ms(median(apiKills.map((k) => k.gap))), floor: '' });
  rows.push({ what: '  acknowledged writes lost', figure: String(apiKills.reduce((n, k) => n + k.lost, 0)), floor: '0' });
  rows.push({ what: `controller manager kill -9: standby leads after (median of ${rounds})`, figure: ms(median(handovers.map((h) => h.cmCrash))), floor: `${le.leaseDurationSeconds * 1000} ms lease`, goal: 'goal <= 8000 ms' });
  rows.push({ what: 'scheduler kill -9: standby leads after', figure: ms(median(handovers.map((h) => h.schedCrash))), floor: `${le.leaseDurationSeconds * 1000} ms lease`, goal: 'goal <= 8000 ms' });
  rows.push({ what: 'controller manager SIGTERM (Lease released): standby leads after', figure: ms(median(handovers.map((h) => h.cmGraceful))), floor: `${le.retryPeriodSeconds * 1000} ms retry`, goal: 'goal <= 2000 ms' });
  rows.push({ what: 'scheduler SIGTERM (Lease released): standby leads after', figure: ms(median(handovers.map((h) => h.schedGraceful))), floor: `${le.retryPeriodSeconds * 1000} ms retry`, goal: 'goal <= 2000 ms' });
  rows.push({ what: '  worst crash hand-over of all rounds', figure: ms(Math.max(...handovers.flatMap((h) => [h.cmCrash, h.schedCrash]))), floor: '' });
  printRows();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
