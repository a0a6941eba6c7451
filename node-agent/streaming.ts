// The kubelet's streaming endpoints: /exec/{ns}/{pod}/{container}, /attach/{ns}/{pod}/{container} and
// /portForward/{ns}/{pod}[/{uid}] (kubelet's server.go). Each upgrade resolves the container (or the pod's
// ready sandbox), asks the runtime for a single-use streaming URL (CRI Exec, Attach, PortForward) and
// passes the client's upgraded connection to it as bytes (lib/component/upgrade.ts); the runtime's
// streaming server speaks SPDY/3.1 and WebSocket (v4 at most in containerd 1.6). A WebSocket client that
// offers v5 is served by the agent itself, which reaches the runtime over SPDY (stream-translator.ts). The caller was authenticated and authorized before
// (server.ts: nodes/proxy, as the kubelet).
//
// Hygiene: open sessions are bounded (in total and per pod: 429 with Retry-After, as the runtime's
// RESOURCE_EXHAUSTED), counted and metered; and an exec whose client goes away does not outlive it —
// containerd 1.6 runs exec'd processes on a background context, so closing the stream leaves them
// running. The agent notes when the session began and, when the client leaves first, SIGKILLs the
// process started since that runs the session's command (endExec).
import * as http from 'node:http';
import type { Request, Response } from 'express';
import type { Pod } from 'kubernetes-types/core/v1';
import { forwardedHeaders, proxyUpgrade, upgradeOf, type ProxyHooks } from '../lib/component/upgrade';
import { pooledRequest } from '../lib/component/pooled-reads';
import type { NodeAgent } from './agent';
import { streamingBytes, streamingKilledProcesses, streamingSessions, streamingSessionsTotal } from './metrics';
import { RuntimeError, type ContainerRuntime, type ExecProcess } from './runtime/runtime';
import { dialPodPort, portForwardRefusal, runtimePortConnection, servePortForward, type PodPorts } from './portforward';
import { offersV5, translateToSpdy, type TranslatedStreams } from './stream-translator';
import { podContainerNames } from '../lib/api/pod';

export type StreamKind = 'exec' | 'attach' | 'portforward';

/** /proc start times count clock ticks (USER_HZ 100): a process started in the session's tick reads up to one tick early. */
const CLOCK_TICK_MS = 10;

export interface StreamingLimits {
  /** Open sessions on this server (default 256). */
  maxSessions?: number;
  /** Open sessions per pod (default 32). */
  maxSessionsPerPod?: number;
  /**
   * Terminate WebSocket v5 in the agent and reach the runtime over SPDY (stream-translator.ts), so stdin
   * can reach EOF (default true; false passes every upgrade through as bytes).
   */
  translateWebSocketV5?: boolean;
}

type SendStatus = (res: Response, code: number, reason: string, message: string) => void;

/** gRPC codes of the runtime's answer → the HTTP status the client sees (kubelet: NotFound 404, else 500). */
export function httpStatusOfRuntimeError(err: unknown): { code: number; reason: string } {
  const code = err instanceof RuntimeError ? err.code : 2;
  switch (code) {
    case 3: // INVALID_ARGUMENT
    case 9: // FAILED_PRECONDITION
      return { code: 400, reason: 'BadRequest' };
    case 5: // NOT_FOUND
      return { code: 404, reason: 'NotFound' };
    case 8: // RESOURCE_EXHAUSTED
      return { code: 429, reason: 'TooManyRequests' };
    case 12: // UNIMPLEMENTED
      return { code: 501, reason: 'NotImplemented' };
    default:
      return { code: 500, reason: 'InternalError' };
  }
}

function flag(q: Record<string, unknown>, ...names: string[]): boolean {
  return names.some((n) => q[n] === 'true' || q[n] === '1');
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** ?ports=80,443 or ?ports=80&ports=443 (WebSocket port-forward); SPDY port-forward names ports per stream. */
export function parsePorts(v: unknown): number[] | undefined {
  const out: number[] = [];
  for (const part of list(v).flatMap((s) => s.split(','))) {
    if (part.trim() === '') continue;
    const n = Number(part);
    if (!Number.isInteger(n) || n < 1 || n > 65535) return undefined;
    out.push(n);
  }
  return out;
}

export class StreamingSessions {
  private open = 0;
  private readonly perPod = new Map<string, number>();
  /** Exec IDs being killed for ending sessions, per container. */
  private readonly claimed = new Map<string, Set<string>>();
  /** When exec sessions began, per container and command (the last minute's): see endExec. */
  private readonly execStarts = new Map<string, number[]>();
  /** When exec sessions of any command began, per container (the last minute's): see endExec. */
  private readonly containerExecStarts = new Map<string, number[]>();
  private readonly maxSessions: number;
  private readonly maxPerPod: number;
  private readonly translateV5: boolean;

  constructor(
    private readonly agents: () => NodeAgent[],
    private readonly sendStatus: SendStatus,
    limits: StreamingLimits = {},
  ) {
    this.maxSessions = limits.maxSessions ?? 256;
    this.maxPerPod = limits.maxSessionsPerPod ?? 32;
    this.translateV5 = limits.translateWebSocketV5 ?? true;
  }

  /** Open sessions (tests, metrics). */
  get openSessions(): number {
    return this.open;
  }

  handler(kind: StreamKind): (req: Request, res: Response) => void {
    return (req, res) => {
      this.serve(kind, req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendStatus(res, 500, 'InternalError', (err as Error).message);
      });
    };
  }

  private async serve(kind: StreamKind, req: Request, res: Response): Promise<void> {
    const { namespace, pod: podName, container: containerName } = req.params as Record<string, string>;
    const q = req.query as Record<string, unknown>;
    const agent = this.agents().find((a) => a.findPod(namespace, podName));
    const pod = agent?.findPod(namespace, podName);
    if (!agent || !pod) return this.sendStatus(res, 404, 'NotFound', `pods "${podName}" not found`);
    const node = agent.nodeName;
    const uid = req.params.uid;
    if (uid && pod.metadata?.uid !== uid) return this.sendStatus(res, 404, 'NotFound', `pods "${podName}" with uid ${uid} not found`);
    let target: string;
    let translate: TranslatedStreams | undefined;
    let cmd: string[] | undefined;
    let open: (runtime: ContainerRuntime) => Promise<string>;
    let forward: { ports: number[]; sandbox: { id: string; ip: string } } | undefined;
    if (kind === 'portforward') {
      const ports = parsePorts(q.ports);
      if (!ports) return this.sendStatus(res, 400, 'BadRequest', `invalid ports: ${list(q.ports).join(',')}`);
      const sandbox = agent.readySandboxAddress(pod);
      if (!sandbox) return this.sendStatus(res, 404, 'NotFound', `pod "${podName}" has no running sandbox`);
      if (upgradeOf(req)) {
        const refused = portForwardRefusal(req);
        if (refused) return this.sendStatus(res, refused.code, refused.code === 403 ? 'Forbidden' : 'BadRequest', refused.message);
        if (String(req.headers.upgrade).toLowerCase() === 'websocket' && ports.length === 0) return this.sendStatus(res, 400, 'BadRequest', 'query parameter "port" is required');
      }
      target = sandbox.id;
      // The agent serves port-forward itself (portforward.ts); the runtime's only for a loopback listener.
      forward = { ports, sandbox: { id: sandbox.id, ip: pod.spec?.hostNetwork ? '127.0.0.1' : sandbox.ip } };
      open = () => Promise.resolve('');
    } else {
      const resolved = this.container(agent, pod, containerName);
      if ('code' in resolved) return this.sendStatus(res, resolved.code, resolved.code === 400 ? 'BadRequest' : 'NotFound', resolved.message);
      const found = resolved.id;
      target = found;
      const streams = { tty: flag(q, 'tty'), stdin: flag(q, 'stdin', 'input'), stdout: flag(q, 'stdout', 'output'), stderr: flag(q, 'stderr', 'error') };
      // A terminal is one stream: the runtime refuses tty with stderr (kubectl never asks for both).
      if (streams.tty) streams.stderr = false;
      if (!streams.stdin && !streams.stdout && !streams.stderr) return this.sendStatus(res, 400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
      // A WebSocket client offering v5 gets it from the agent itself (stream-translator.ts): stdin can end.
      if (this.translateV5 && offersV5(req)) translate = streams;
      if (kind === 'exec') {
        cmd = list(q.command);
        if (cmd.length === 0) return this.sendStatus(res, 400, 'BadRequest', 'you must specify at least one command for the container');
        const argv = cmd;
        open = (rt) => rt.exec(found, { cmd: argv, ...streams });
      } else {
        open = (rt) => rt.attach(found, streams);
      }
    }
    if (!upgradeOf(req)) return this.sendStatus(res, 400, 'BadRequest', 'Upgrade request required');
    const podKey = `${namespace}/${podName}`;
    if (this.open >= this.maxSessions || (this.perPod.get(podKey) ?? 0) >= this.maxPerPod) {
      streamingSessionsTotal.inc({ node, kind, result: 'refused' });
      res.setHeader('Retry-After', '60');
      return this.sendStatus(res, 429, 'TooManyRequests', `too many open ${this.open >= this.maxSessions ? 'streaming sessions on this node' : `streaming sessions to pod ${podKey}`}`);
    }
    // Reserved before the runtime call, so concurrent requests cannot pass the limits together.
    this.open++;
    this.perPod.set(podKey, (this.perPod.get(podKey) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.open--;
      const n = (this.perPod.get(podKey) ?? 1) - 1;
      if (n > 0) this.perPod.set(podKey, n);
      else this.perPod.delete(podKey);
    };
    const runtime = agent.runtime;
    // An exec whose client leaves first has its process ended (endExec), found then among the ones that
    // started after this moment: no process list is asked for on the way in (containerd's costs a `runc ps`).
    const since = kind === 'exec' && runtime.execProcesses && runtime.killExecProcess && runtime.execClock ? runtime.execClock() : undefined;
    if (since !== undefined && cmd) this.noteExecStart(target, cmd, since);
    if (forward) {
      const { ports, sandbox } = forward;
      const podPorts: PodPorts = {
        name: sandbox.id,
        uid: '',
        dial: (port) => dialPodPort(sandbox.ip, port, async (p) => runtimePortConnection(await runtime.portForward(sandbox.id, []), p)),
      };
      let opened = false;
      return servePortForward(req, res, podPorts, ports, {
        onOpen: () => {
          opened = true;
          streamingSessionsTotal.inc({ node, kind, result: 'opened' });
          streamingSessions.inc({ node, kind });
        },
        onBytes: (direction, n) => streamingBytes.inc({ node, kind, direction }, n),
        onClose: () => {
          if (opened) streamingSessions.dec({ node, kind });
          release();
        },
      });
    }
    let url: string;
    try {
      url = await open(runtime);
    } catch (err) {
      release();
      streamingSessionsTotal.inc({ node, kind, result: 'failed' });
      const { code, reason } = httpStatusOfRuntimeError(err);
      if (code === 429) res.setHeader('Retry-After', '60');
      return this.sendStatus(res, code, reason, (err as Error).message);
    }
    const hooks: ProxyHooks = {
      onOpen: () => {
        streamingSessionsTotal.inc({ node, kind, result: 'opened' });
        streamingSessions.inc({ node, kind });
      },
      onBytes: (direction, n) => streamingBytes.inc({ node, kind, direction }, n),
      onClose: (clientFirst) => {
        streamingSessions.dec({ node, kind });
        release();
        if (clientFirst && since !== undefined && cmd) void this.endExec(runtime, target, since, runtime.execClock!(), cmd, node);
      },
      onRefused: () => {
        streamingSessionsTotal.inc({ node, kind, result: 'failed' });
        release();
      },
      onError: () => release(),
    };
    if (translate) return translateToSpdy(req, res, url, translate, hooks);
    proxyUpgrade(req, res, pooledRequest((onread) => http.request(url, { method: req.method, headers: forwardedHeaders(req), timeout: 30_000, agent: false, ...onread })), hooks);
  }

  /** The running container's ID, or the kubelet's refusal. */
  private container(agent: NodeAgent, pod: Pod, name: string): { id: string } | { code: 400 | 404; message: string } {
    const podName = pod.metadata?.name ?? '';
    if (!podContainerNames(pod).includes(name)) return { code: 400, message: `container ${name} is not valid for pod ${podName}` };
    const c = agent.containerFor(pod, name, false);
    if (!c || !c.running) return { code: 404, message: `container not found ("${name}")` };
    return { id: c.id };
  }

  /**
   * A session whose client left first: its process, if it runs on, is SIGKILLed (containerd 1.6 keeps it).
   * Other processes come and go in the container meanwhile (probes, other sessions, CRI ExecSync), so "a
   * new one" is not enough: ours is the first that started after the session began (`since`, on the
   * runtime's exec clock, less a clock tick) — and, when a session of the same command began after the
   * client left (`closedAt`), no later than that (such a process is the later session's) — that no other
   * ending session has claimed, and whose argv is the
   * session's command — or, when the command exec'd itself into another (`sh -c`), the only such new
   * process. A process whose start /proc does not show (another pid namespace) is never taken for ours.
   * Looked up only now, so a session that ends normally costs the runtime nothing.
   */
  /** Records an exec session's start, forgetting those more than a minute old. */
  private noteExecStart(container: string, cmd: readonly string[], since: number): void {
    for (const [map, key] of [[this.execStarts, execStartsKey(container, cmd)], [this.containerExecStarts, container]] as const) {
      const starts = (map.get(key) ?? []).filter((t) => t > since - 60_000);
      starts.push(since);
      map.set(key, starts);
      // Keys of containers and commands not seen for a minute go too.
      if (map.size > 256) for (const [k, ts] of map) if (ts[ts.length - 1] <= since - 60_000) map.delete(k);
    }
  }

  private async endExec(runtime: ContainerRuntime, container: string, since: number, closedAt: number, cmd: string[], node: string): Promise<void> {
    // Give a process that ends with its stdin (cat, sh) the chance to exit by itself.
    await new Promise((r) => setTimeout(r, 300));
    const now = await runtime.execProcesses!(container).catch(() => undefined);
    if (!now) return;
    const taken = this.claimed.get(container) ?? new Set<string>();
    // A process may start after its client left (containerd starts it once the stream attaches), so a
    // late one can still be ours — unless a session of the same command began since: then it is theirs.
    const laterSession = (this.execStarts.get(execStartsKey(container, cmd)) ?? []).some((t) => t >= closedAt);
    // Another session of any command that began since ours may own a process whose argv is not ours.
    // (Ours, recorded at `since`, may have been forgotten after a minute: count the others, not all.)
    const starts = this.containerExecStarts.get(container) ?? [];
    const otherSessions = starts.some((t) => t > since) || starts.filter((t) => t === since).length > 1;
    const mine = sessionProcess(now, { since, startedBy: laterSession ? closedAt : Infinity, closedAt, otherSessions, cmd, taken });
    if (!mine) return;
    taken.add(mine.execId);
    this.claimed.set(container, taken);
    try {
      await runtime.killExecProcess!(container, mine.execId);
      streamingKilledProcesses.inc({ node });
    } catch {
      // The process ended meanwhile, or the container did.
    } finally {
      // Still claimed a while: a killed process can show in the runtime's list a moment longer.
      setTimeout(() => {
        taken.delete(mine.execId);
        if (taken.size === 0 && this.claimed.get(container) === taken) this.claimed.delete(container);
      }, 5_000).unref();
    }
  }
}

/**
 * Which of a container's exec processes is an ended session's own (see endExec): started from `since`
 * (less a clock tick) and by `startedBy` (when the client left, if a later session of the same command
 * could own what started after; else no bound), not claimed by another ending session, the
 * first with the session's argv; else (the command exec'd into another, `sh -c`) the only candidate — but
 * only when no other session began in the container since ours and it started before the client left: an
 * innocent process (another session's `tar` of a `kubectl cp`) must never be killed for a session whose
 * own process had already ended. Sessions that end together each take their own.
 */
export function sessionProcess(
  processes: readonly ExecProcess[],
  s: { since: number; startedBy: number; closedAt: number; otherSessions: boolean; cmd: readonly string[]; taken: ReadonlySet<string> },
): ExecProcess | undefined {
  const fresh = processes
    .filter((p) => p.startedAtMs !== undefined && p.startedAtMs >= s.since - CLOCK_TICK_MS && p.startedAtMs <= s.startedBy && !s.taken.has(p.execId))
    .sort((a, b) => a.startedAtMs! - b.startedAtMs!);
  const same = (args: string[] | undefined) => !!args && args.length === s.cmd.length && args.every((a, i) => a === s.cmd[i]);
  const byArgv = fresh.find((p) => same(p.args));
  if (byArgv || s.otherSessions || fresh.length !== 1) return byArgv;
  return fresh[0].startedAtMs! <= s.closedAt + CLOCK_TICK_MS ? fresh[0] : undefined;
}

const execStartsKey = (container: string, cmd: readonly string[]): string => `${container}\0${cmd.join('\0')}`;
