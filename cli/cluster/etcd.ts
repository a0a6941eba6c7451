// Runs etcd members from Debian's etcd-server package (/usr/bin/etcd) without systemd: `steer etcd
// start|stop|status`, `steer up --etcd` and the tests. One member, or three on one machine (etcd's own
// Procfile layout: client ports 2379/22379/32379, peer ports 2380/22380/32380). Each member's data is
// under <dir>/<name>/, its log in <dir>/<name>.log; <dir>/members.json records the members and their
// PIDs, which is how they are stopped (SIGTERM, SIGKILL after a grace period) — only a process whose
// command line still names its data dir is signalled, never a recycled PID. A member is up when its
// /health answers {"health":"true"}.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { isAlive, readJson, writeJson } from './state';

export const ETCD_BINARY = '/usr/bin/etcd';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  log: string;
  pid?: number;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** The members' client URLs, for --etcd-servers. */
  endpoints: string[];
}

export interface StartEtcdOptions {
  /** Where members keep their data, logs and members.json. */
  dir: string;
  /** 1 (default) or 3. */
  members?: 1 | 3;
  host?: string;
  /** Client and peer port of each member (default 2379/2380, 22379/22380, 32379/32380). */
  ports?: Array<{ client: number; peer: number }>;
  /** How long to wait for every member's /health (default 30 s). */
  timeoutMs?: number;
  /** The etcd binary (default /usr/bin/etcd). */
  binary?: string;
}

const DEFAULT_PORTS = [
  { client: 2379, peer: 2380 },
  { client: 22379, peer: 22380 },
  { client: 32379, peer: 32380 },
];

const membersFile = (dir: string) => path.join(dir, 'members.json');

/** The members recorded in dir (undefined when none were started there). */
export function readEtcdCluster(dir: string): EtcdCluster | undefined {
  return readJson<EtcdCluster>(membersFile(dir));
}

/** Whether pid is the etcd member that keeps its data in dataDir. */
function isMember(pid: number | undefined, dataDir: string): boolean {
  if (!pid || !isAlive(pid)) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(dataDir) || cmdline.includes(`--data-dir=${dataDir}`);
  } catch {
    return false;
  }
}

/** GET <clientUrl>/health: true when the member says it is healthy (it has a leader and commits). */
export function memberHealthy(clientUrl: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * Starts the members (those of dir that still run are left alone) and waits until all are healthy.
 * A member's data dir that exists already is reused: etcd then ignores the --initial-* flags.
 */
export async function startEtcd(o: StartEtcdOptions): Promise<EtcdCluster> {
  const count = o.members ?? 1;
  if (count !== 1 && count !== 3) throw new Error(`etcd members must be 1 or 3, not ${String(count)}`);
  const host = o.host ?? '127.0.0.1';
  const ports = o.ports ?? DEFAULT_PORTS;
  if (ports.length < count) throw new Error(`${count} members need ${count} port pairs`);
  const binary = o.binary ?? ETCD_BINARY;
  if (!fs.existsSync(binary)) throw new Error(`${binary} not found: install Debian's etcd-server (scripts/install-deps.sh)`);
  const dir = path.resolve(o.dir);
  fs.mkdirSync(dir, { recursive: true });
  const previous = readEtcdCluster(dir);
  if (previous && previous.members.length !== count) {
    throw new Error(`${dir} holds a ${previous.members.length}-member etcd; stop it and remove ${dir} to start ${count}`);
  }
  const members: EtcdMember[] =
    previous?.members ??
    Array.from({ length: count }, (_, i) => ({
      name: `m${i + 1}`,
      clientUrl: `http://${host}:${ports[i].client}`,
      peerUrl: `http://${host}:${ports[i].peer}`,
      dataDir: path.join(dir, `m${i + 1}`),
      log: path.join(dir, `m${i + 1}.log`),
    }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const exits = new Map<string, string>();
  for (const m of members) {
    if (isMember(m.pid, m.dataDir)) continue;
    // Another etcd on the port would answer our health checks: refuse rather than use it unknowingly.
    if (await memberHealthy(m.clientUrl, 500)) throw new Error(`another etcd already answers on ${m.clientUrl}: choose other ports`);
    const log = fs.openSync(m.log, 'a');
    const child = spawn(
      binary,
      [
        '--name', m.name,
        '--data-dir', m.dataDir,
        '--listen-client-urls', m.clientUrl,
        '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl,
        '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `steer-${path.basename(dir)}`,
        '--logger', 'zap',
        '--log-outputs', 'stderr',
        // Idle watches learn etcd's revision every few seconds (kube's watch cache asks for it too).
        '--experimental-watch-progress-notify-interval', '5s',
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    child.on('exit', (code, signal) => exits.set(m.name, signal ? `killed by ${signal}` : `exit code ${String(code)}`));
    child.unref();
    m.pid = child.pid;
  }
  const cluster: EtcdCluster = { members, endpoints: members.map((m) => m.clientUrl) };
  writeJson(membersFile(dir), cluster);
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (const m of members) {
    for (;;) {
      if (await memberHealthy(m.clientUrl)) break;
      const exit = exits.get(m.name);
      if (exit) throw new Error(`etcd member ${m.name} exited (${exit}); the end of ${m.log}:\n${tail(m.log, 10)}`);
      if (Date.now() > deadline) throw new Error(`etcd member ${m.name} not healthy at ${m.clientUrl}/health; see ${m.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return cluster;
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Stops one member by its PID: SIGTERM, then SIGKILL when it has not gone after graceMs. */
export async function stopMember(m: EtcdMember, graceMs = 10_000): Promise<boolean> {
  if (!isMember(m.pid, m.dataDir)) return false;
  const pid = m.pid as number;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && !isZombie(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A process that has exited but whose parent (this process) has not reaped it yet. */
function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Stops every member recorded in dir, one after the other (stopped together, a leader waits for
 * followers that are going too: ~10 s; one by one each goes in ~0.1-0.3 s); resolves with the names of
 * those that were running.
 */
export async function stopEtcd(dir: string, graceMs?: number): Promise<string[]> {
  const cluster = readEtcdCluster(path.resolve(dir));
  if (!cluster) return [];
  const stopped: string[] = [];
  for (const m of cluster.members) if (await stopMember(m, graceMs)) stopped.push(m.name);
  return stopped;
}

export interface EtcdMemberStatus {
  name: string;
  clientUrl: string;
  pid?: number;
  running: boolean;
  healthy: boolean;
}

export async function etcdStatus(dir: string): Promise<EtcdMemberStatus[]> {
  const cluster = readEtcdCluster(path.resolve(dir));
  if (!cluster) return [];
  return Promise.all(
    cluster.members.map(async (m) => {
      const running = isMember(m.pid, m.dataDir);
      return { name: m.name, clientUrl: m.clientUrl, pid: m.pid, running, healthy: running && (await memberHealthy(m.clientUrl)) };
    }),
  );
}
