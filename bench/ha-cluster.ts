// An HA control plane on this machine, as separate processes that can be killed with SIGKILL: etcd
// members (Debian's etcd-server, by PID under a temporary dir), `steer apiserver --storage etcd`
// processes, and leader-elected `steer scheduler` / `steer controllers` pointed at every apiserver.
// Shared by the fault tests (test/ha/) and the failover benchmark (bench/ha.ts). Plain HTTP with an open
// API, as the programmatic apiserver of the other integration tests: what is measured is failover, not
// authentication.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { EtcdClient } from '../apiserver';
import { Resources } from '../lib/api/resources';
import { isAlreadyExists, type KubeClient } from '../lib/client/client';
import { EtcdCluster, EtcdMember, packageRoot, startEtcd, stopEtcd } from '../cli/cluster';
import { freePort } from './load';

export { freePort };

const STEER = path.join(packageRoot(), 'bin', 'steer.js');

/** A process this cluster started, with everything it printed. */
export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  /** kill -9: a crash, no clean-up. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit (a graceful stop). */
  stop(): Promise<void>;
  alive(): boolean;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/** Starts `steer ARGS` and resolves once its output matches ready (with the match). */
export function startSteer(name: string, args: string[], ready: RegExp, timeoutMs = 60_000): Promise<{ proc: Proc; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const proc: Proc = {
      name,
      child,
      output: () => out,
      alive: () => child.exitCode === null && child.signalCode === null,
      async kill9() {
        if (proc.alive()) child.kill('SIGKILL');
        await exited(child);
      },
      async stop() {
        if (proc.alive()) child.kill('SIGTERM');
        await exited(child);
      },
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in ${timeoutMs} ms: ${out.slice(-2000)}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ proc, match: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${out.slice(-2000)}`));
    });
  });
}

export interface HaClusterOptions {
  etcdMembers?: 1 | 3;
  apiservers?: number;
  /** How often apiservers renew their Lease and rewrite default/kubernetes (default 1 s here). */
  endpointReconcilerInterval?: string;
  /** How long an apiserver stays in default/kubernetes without renewing (default 3 s here). */
  endpointReconcilerTtl?: string;
}

export interface Apiserver extends Proc {
  url: string;
  port: number;
}

export class HaCluster {
  readonly procs: Proc[] = [];
  apiservers: Apiserver[] = [];
  private etcdClient?: EtcdClient;

  private constructor(
    readonly dir: string,
    readonly etcd: EtcdCluster,
  ) {}

  /** etcd members (fresh data dir, free ports), then the apiservers on them. */
  static async start(o: HaClusterOptions = {}): Promise<HaCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-ha-'));
    const members = o.etcdMembers ?? 3;
    const etcdDir = path.join(dir, 'etcd');
    let etcd: EtcdCluster | undefined;
    // A port found free can be taken before its member binds it: the members started first connect to
    // each other from ephemeral ports of the same range (CI saw "bind: address already in use" on a
    // peer port once). Fresh ports and a fresh data dir then, a few times.
    for (let attempt = 1; !etcd; attempt++) {
      const ports: Array<{ client: number; peer: number }> = [];
      for (let i = 0; i < members; i++) ports.push({ client: await freePort(), peer: await freePort() });
      try {
        etcd = await startEtcd({ dir: etcdDir, members, ports });
      } catch (err) {
        await stopEtcd(etcdDir, 2000);
        fs.rmSync(etcdDir, { recursive: true, force: true });
        if (attempt < 3 && /address already in use/.test((err as Error).message)) continue;
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
    const cluster = new HaCluster(dir, etcd);
    try {
      // One after the other: the first creates the cluster's bootstrap objects, the second finds them.
      for (let i = 0; i < (o.apiservers ?? 2); i++) await cluster.startApiserver(o);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Every apiserver URL, comma-separated (the --server of the components). */
  get servers(): string {
    return this.apiservers.map((a) => a.url).join(',');
  }

  async startApiserver(o: HaClusterOptions = {}): Promise<Apiserver> {
    const port = await freePort();
    const { proc } = await startSteer(
      `apiserver-${this.apiservers.length + 1}`,
      [
        'apiserver', '--insecure-serving', '--listen', `127.0.0.1:${port}`, '--advertise-address', '127.0.0.1',
        '--storage', 'etcd', '--etcd-servers', this.etcd.endpoints.join(','),
        '--endpoint-reconciler-interval', o.endpointReconcilerInterval ?? '1s', '--endpoint-reconciler-ttl', o.endpointReconcilerTtl ?? '3s',
      ],
      /serving on (http:\/\/\S+)/,
    );
    const api: Apiserver = Object.assign(proc, { url: `http://127.0.0.1:${port}`, port });
    this.procs.push(api);
    this.apiservers.push(api);
    return api;
  }

  /** `steer scheduler --leader-elect` against every apiserver; ready once its informers run. */
  async startScheduler(name: string): Promise<Proc> {
    const { proc } = await startSteer(name, ['scheduler', '--server', this.servers, '--leader-elect', '--metrics-port', '0'], /steer scheduler .* running/);
    this.procs.push(proc);
    return proc;
  }

  /** `steer controllers --leader-elect --identity NAME` against every apiserver. */
  async startControllers(name: string, controllers = 'deployment,replicaset'): Promise<Proc> {
    const { proc } = await startSteer(name, ['controllers', '--server', this.servers, '--leader-elect', '--identity', name, '--controllers', controllers, '--metrics-port', '0'], /controllers: \S+ running against/);
    this.procs.push(proc);
    return proc;
  }

  private client(): EtcdClient {
    this.etcdClient ??= new EtcdClient({ endpoints: this.etcd.endpoints });
    return this.etcdClient;
  }

  /** The etcd member that leads now (asked of each member until one answers). */
  async etcdLeader(): Promise<EtcdMember> {
    for (const m of this.etcd.members) {
      try {
        const st = await this.client().status(m.clientUrl, 1000);
        const leaderId = String(st.leader);
        for (const candidate of this.etcd.members) {
          const cs = await this.client().status(candidate.clientUrl, 1000).catch(() => undefined);
          if (cs && String(cs.header?.member_id) === leaderId) return candidate;
        }
      } catch {
        // this member is down: ask the next
      }
    }
    throw new Error('no etcd member knows a leader');
  }

  /** kill -9 of an etcd member. */
  killEtcdMember(m: EtcdMember): void {
    if (m.pid) process.kill(m.pid, 'SIGKILL');
  }

  /** Stops every process (SIGKILL: nothing to keep) and the etcd members, and removes the data. */
  async stop(): Promise<void> {
    this.etcdClient?.close();
    await Promise.all(this.procs.map((p) => p.kill9()));
    await stopEtcd(path.join(this.dir, 'etcd'), 3000);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writers creating ConfigMaps through `c` until stop(): a create whose answer was lost is sent again, and
 * AlreadyExists then means it had been stored. acked: names whose create was answered, with when.
 */
export function writers(c: KubeClient, prefix: string, concurrency: number) {
  const acked: Array<{ name: string; at: number }> = [];
  let stopped = false;
  let n = 0;
  let errors = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const name = `${prefix}-${n++}`;
      for (;;) {
        try {
          await c.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name }, data: { n: name } });
          acked.push({ name, at: Date.now() });
          break;
        } catch (err) {
          if (isAlreadyExists(err)) {
            acked.push({ name, at: Date.now() });
            break;
          }
          errors++;
          await sleep(50);
        }
      }
    }
  });
  return {
    acked,
    errors: () => errors,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Raw etcd puts (300 ms deadline each, as the apiserver's attempts) until stopped: when each succeeded. */
export function rawPuts(endpoints: string[]) {
  const client = new EtcdClient({ endpoints, timeoutMs: 300 });
  const acked: Array<{ at: number }> = [];
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        await client.put({ key: Buffer.from(`/bench-raw/${n++}`), value: Buffer.from('x') });
        acked.push({ at: Date.now() });
      } catch {
        await sleep(20);
      }
    }
  })();
  return {
    acked,
    async stop() {
      stopped = true;
      await loop;
      client.close();
    },
  };
}

/** The longest time without an acknowledged write after `from`. */
export function longestGapAfter(acked: Array<{ at: number }>, from: number): number {
  const times = acked.map((a) => a.at).filter((t) => t >= from).sort((a, b) => a - b);
  let gap = times.length ? times[0] - from : Infinity;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}
