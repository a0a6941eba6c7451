// Container lifecycle hooks as the kubelet's handlerRunner runs them: exec (in the container, through
// the runtime's ExecSync), httpGet (to the pod IP unless a host is given; only a failed request fails it,
// not the status code) and sleep. PodActions runs postStart right after a container starts and preStop
// before it stops one (preStopGrace: the hook's time comes off the grace period). A tcpSocket handler is
// refused, as the kubelet refuses it.
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1';
import type { ContainerRuntime } from './runtime/runtime';
import { httpGetRequest } from './probes';

export interface HookTarget {
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
}

/** Runs one lifecycle handler; rejects with what went wrong. timeoutMs 0: no limit (the kubelet's postStart). */
export interface HookRunner {
  run(handler: LifecycleHandler, target: HookTarget, timeoutMs: number): Promise<void>;
}

/** A handler that was still running when its time was up (for preStop, not a failure: the kubelet moves on). */
export class HookTimeoutError extends Error {}

/** Within timeoutMs (0: no limit); `what` names the handler in the timeout's error. */
function bounded<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  if (!timeoutMs) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HookTimeoutError(`${what} did not complete within ${timeoutMs / 1000} s`)), timeoutMs);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}

export class DefaultHookRunner implements HookRunner {
  constructor(private readonly runtime: ContainerRuntime) {}

  async run(h: LifecycleHandler, t: HookTarget, timeoutMs: number): Promise<void> {
    const where = `Container "${t.container.name}" in Pod "${t.pod.metadata?.name}"`;
    if (h.exec) {
      const cmd = h.exec.command || [];
      const r = await bounded(this.runtime.execSync(t.containerId, cmd, Math.ceil(timeoutMs / 1000)), timeoutMs, 'the exec hook');
      if (r.exitCode !== 0) {
        const out = Buffer.concat([r.stdout, r.stderr]).toString('utf8').slice(0, 1024);
        throw new Error(`Exec lifecycle hook (${JSON.stringify(cmd)}) for ${where} failed - error: command exited with ${r.exitCode}, message: ${JSON.stringify(out)}`);
      }
      return;
    }
    if (h.httpGet) {
      const get = httpGetRequest(h.httpGet, t.container, t.podIP, 'kube-lifecycle/1.30');
      const done = new Promise<void>((resolve, reject) => {
        const req = get.send(undefined, (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', resolve);
        });
        req.on('error', (e) => reject(new Error(`HTTP lifecycle hook (${get.path}) for ${where} failed - error: ${e.message}`)));
        req.end();
      });
      return bounded(done, timeoutMs, 'the httpGet hook');
    }
    if (h.sleep) {
      const ms = Math.max(0, (h.sleep.seconds ?? 0) * 1000);
      // A sleep longer than the limit ends with it: the grace period is what it may take.
      await new Promise((r) => setTimeout(r, timeoutMs ? Math.min(ms, timeoutMs) : ms));
      if (timeoutMs && ms > timeoutMs) throw new HookTimeoutError(`the sleep hook did not complete within ${timeoutMs / 1000} s`);
      return;
    }
    throw new Error(`Cannot run handler: invalid handler: only exec, httpGet and sleep run (${where})`);
  }
}

/**
 * A preStop hook within the grace period, as the kubelet's killContainer: the hook may take the whole
 * grace period (a failure is only reported; one still running then is left behind), and the stop then
 * gets what is left, at least 2 s. Returns the grace period for the stop.
 */
export async function runPreStop(runner: HookRunner, handler: LifecycleHandler, target: HookTarget, graceSeconds: number, onFailure: (err: Error) => void): Promise<number> {
  const started = Date.now();
  await runner.run(handler, target, graceSeconds * 1000).catch((err: Error) => {
    if (!(err instanceof HookTimeoutError)) onFailure(err);
  });
  const spent = Math.floor((Date.now() - started) / 1000);
  return Math.max(MIN_GRACE_SECONDS, graceSeconds - spent);
}

/** The kubelet's minimumGracePeriodInSeconds: a container always gets this long to stop after its preStop hook. */
export const MIN_GRACE_SECONDS = 2;
