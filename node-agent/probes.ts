// Liveness, readiness and startup probes with Kubernetes' semantics: one worker per (container, probe
// kind), first run after initialDelaySeconds, then every periodSeconds; a result flips only after
// successThreshold successes / failureThreshold failures in a row. Readiness starts as failure,
// liveness as success, startup as unknown; liveness and readiness wait until startup has succeeded.
// Results feed the pure sync (ProbeView) and the status; a flip wakes the pod's worker.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Container, HTTPGetAction, Pod, Probe } from 'kubernetes-types/core/v1';
import type { ContainerRuntime } from './runtime/runtime';
import { isSidecar, type ProbeResult, type ProbeView } from './sync';
import { probeTotal } from './metrics';
import { grpcHealthProbe } from './grpc-health/probe';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeTarget {
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
}

/** Runs one probe once. The default one does httpGet/tcpSocket/exec; hollow nodes pass their own. */
export interface Prober {
  run(kind: ProbeKind, probe: Probe, target: ProbeTarget): Promise<{ ok: boolean; output: string }>;
}

/** A probe's or hook's port: a number, or the name of one of the container's ports. */
function resolvePort(port: string | number | undefined, c: Container): number {
  if (typeof port === 'number') return port;
  if (port && /^\d+$/.test(port)) return Number(port);
  const named = (c.ports || []).find((p) => p.name === port);
  if (!named) throw new Error(`port ${port} not found in container ${c.name}`);
  return named.containerPort;
}

/** An httpGet action's request as the kubelet makes it, for a probe or a hook (its user agent): to the pod IP unless a host is given. */
export function httpGetRequest(g: HTTPGetAction, c: Container, podIP: string, userAgent: string) {
  const port = resolvePort(g.port as string | number, c);
  const host = g.host || podIP;
  const scheme = (g.scheme || 'HTTP').toLowerCase();
  const path = g.path || '/';
  const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: '*/*' };
  for (const h of g.httpHeaders || []) headers[h.name] = h.value;
  return {
    path,
    url: `${scheme}://${host}:${port}${path}`,
    send: (timeoutMs: number | undefined, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest =>
      (scheme === 'https' ? https : http).request({ host, port, path: path.startsWith('/') ? path : `/${path}`, method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false }, onResponse),
  };
}

export class DefaultProber implements Prober {
  constructor(private readonly runtime: ContainerRuntime) {}

  async run(_kind: ProbeKind, probe: Probe, t: ProbeTarget): Promise<{ ok: boolean; output: string }> {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    if (probe.exec) {
      const r = await this.runtime.execSync(t.containerId, probe.exec.command || [], probe.timeoutSeconds ?? 1);
      const out = Buffer.concat([r.stdout, r.stderr]).toString('utf8').slice(0, 1024);
      return { ok: r.exitCode === 0, output: r.exitCode === 0 ? out : `command ${JSON.stringify(probe.exec.command)} exited with ${r.exitCode}: ${out}` };
    }
    if (probe.httpGet) {
      const get = httpGetRequest(probe.httpGet, t.container, t.podIP, 'kube-probe/1.30');
      return new Promise((resolve) => {
        const req = get.send(timeoutMs, (res) => {
          res.resume();
          const code = res.statusCode || 0;
          resolve({ ok: code >= 200 && code < 400, output: `HTTP probe failed with statuscode: ${code}` });
        });
        req.on('timeout', () => req.destroy(new Error(`Get "${get.url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
        req.on('error', (e) => resolve({ ok: false, output: e.message }));
        req.end();
      });
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port as string | number, t.container);
      const host = probe.tcpSocket.host || t.podIP;
      return new Promise((resolve) => {
        const sock = net.connect({ host, port });
        const timer = setTimeout(() => {
          sock.destroy();
          resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
        }, timeoutMs);
        sock.on('connect', () => {
          clearTimeout(timer);
          sock.destroy();
          resolve({ ok: true, output: '' });
        });
        sock.on('error', (e) => {
          clearTimeout(timer);
          resolve({ ok: false, output: `dial tcp ${host}:${port}: ${e.message}` });
        });
      });
    }
    if (probe.grpc) return grpcHealthProbe(t.podIP, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
    return { ok: false, output: 'probe has no supported handler (httpGet, tcpSocket, exec, grpc)' };
  }
}

interface Worker {
  kind: ProbeKind;
  target: ProbeTarget;
  probe: Probe;
  result: ProbeResult;
  successes: number;
  failures: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export interface ProbeManagerOptions {
  nodeName: string;
  prober: Prober;
  /** A result flipped: re-sync the pod. */
  onChange: (podUid: string) => void;
  /** A failed probe (for Unhealthy events). */
  onFailure?: (target: ProbeTarget, kind: ProbeKind, output: string) => void;
}

const kindName: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export class ProbeManager implements ProbeView {
  private readonly workers = new Map<string, Worker>(); // `${containerId}/${kind}`

  constructor(private readonly o: ProbeManagerOptions) {}

  private get(containerId: string, kind: ProbeKind): Worker | undefined {
    return this.workers.get(`${containerId}/${kind}`);
  }

  liveness(containerId: string): ProbeResult {
    return this.get(containerId, 'liveness')?.result ?? 'success';
  }

  readiness(containerId: string): ProbeResult {
    return this.get(containerId, 'readiness')?.result ?? 'success';
  }

  startup(containerId: string): ProbeResult {
    return this.get(containerId, 'startup')?.result ?? 'success';
  }

  /**
   * Makes the set of workers for one pod match its running containers: adds workers for new running
   * containers with probes, stops those of containers that are gone.
   */
  syncPod(pod: Pod, running: { containerId: string; name: string; startedAt: number }[], podIP: string): void {
    const uid = pod.metadata?.uid || '';
    const wanted = new Set<string>();
    for (const r of running) {
      // The containers, and the sidecars (init containers with restartPolicy Always), are probed.
      const c = [...(pod.spec?.containers || []), ...(pod.spec?.initContainers || []).filter(isSidecar)].find((x) => x.name === r.name);
      if (!c) continue;
      const probes: [ProbeKind, Probe | undefined][] = [
        ['startup', c.startupProbe],
        ['liveness', c.livenessProbe],
        ['readiness', c.readinessProbe],
      ];
      for (const [kind, probe] of probes) {
        if (!probe) continue;
        const key = `${r.containerId}/${kind}`;
        wanted.add(key);
        if (this.workers.has(key)) continue;
        const w: Worker = {
          kind,
          probe,
          target: { pod, container: c, containerId: r.containerId, podIP },
          result: kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown',
          successes: 0,
          failures: 0,
          stopped: false,
        };
        this.workers.set(key, w);
        const delay = Math.max(0, (probe.initialDelaySeconds ?? 0) * 1000 - (Date.now() - r.startedAt));
        this.schedule(w, uid, delay);
      }
    }
    for (const [key, w] of this.workers) {
      if (w.target.pod.metadata?.uid === uid && !wanted.has(key)) this.remove(key, w);
    }
  }

  /** Stops every worker of a pod. */
  removePod(uid: string): void {
    for (const [key, w] of this.workers) if (w.target.pod.metadata?.uid === uid) this.remove(key, w);
  }

  stop(): void {
    for (const [key, w] of this.workers) this.remove(key, w);
  }

  size(): number {
    return this.workers.size;
  }

  private remove(key: string, w: Worker): void {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    this.workers.delete(key);
  }

  private schedule(w: Worker, uid: string, delayMs: number): void {
    if (w.stopped) return;
    w.timer = setTimeout(() => void this.runOnce(w, uid), delayMs);
    w.timer.unref?.();
  }

  private async runOnce(w: Worker, uid: string): Promise<void> {
    const period = (w.probe.periodSeconds ?? 10) * 1000;
    // Liveness and readiness wait for the startup probe (if any) to succeed.
    if (w.kind !== 'startup' && this.get(w.target.containerId, 'startup') && this.startup(w.target.containerId) !== 'success') {
      this.schedule(w, uid, period);
      return;
    }
    let ok = false;
    let output = '';
    try {
      ({ ok, output } = await this.o.prober.run(w.kind, w.probe, w.target));
    } catch (err) {
      output = (err as Error).message;
    }
    if (w.stopped) return;
    probeTotal.inc({ node: this.o.nodeName, probe_type: kindName[w.kind], result: ok ? 'successful' : 'failed' });
    const before = w.result;
    if (ok) {
      w.failures = 0;
      w.successes++;
      if (w.successes >= (w.kind === 'readiness' ? w.probe.successThreshold ?? 1 : 1)) w.result = 'success';
    } else {
      w.successes = 0;
      w.failures++;
      this.o.onFailure?.(w.target, w.kind, output);
      if (w.failures >= (w.probe.failureThreshold ?? 3)) w.result = 'failure';
    }
    // A successful startup probe is done for good; the others keep running.
    if (w.kind === 'startup' && w.result === 'success') {
      if (before !== w.result) this.o.onChange(uid);
      return;
    }
    if (before !== w.result) {
      if (w.kind !== 'readiness' && w.result === 'failure') w.failures = 0; // the container will be restarted
      this.o.onChange(uid);
    }
    this.schedule(w, uid, period);
  }

  /** For Unhealthy event text: "Liveness probe failed: ...". */
  static eventMessage(kind: ProbeKind, output: string): string {
    return `${kindName[kind]} probe failed: ${output}`.trim();
  }
}
