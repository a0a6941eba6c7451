// /healthz, /livez and /readyz as kube-apiserver serves them (k8s.io/apiserver's healthz package): named
// checks run on every request; `ok` when all pass, the list (`[+]name ok`, then `<endpoint> check
// passed`) with ?verbose, and always the list with `[-]name failed: reason withheld` and a 500 when one
// fails (the endpoints are public: the reason goes to the log, and to the individual check's path,
// `/readyz/etcd`, which answers `internal server error: <reason>`); ?exclude=name skips a check.
// The storage check asks the store itself (etcd: a Range within 2 s, as kube's etcd check does), so a
// load balancer or the kubelet's probe of an apiserver whose etcd is gone sees it; /readyz also fails
// once the server is shutting down.
import type { Express, Request, Response } from 'express';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects (or times out) with the reason otherwise. */
  check(): Promise<void>;
}

export type HealthEndpoint = 'healthz' | 'livez' | 'readyz';

/** The outcome of one check on one request: passed, failed (with the reason), or excluded. */
export type CheckOutcome = { name: string; excluded: true } | { name: string; error?: string };

/** Go's %q of each name, joined as kube's formatQuoted does. */
const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');

/** The status and body of a root health endpoint (kube's handleRootHealth); pure. */
export function healthReport(endpoint: HealthEndpoint, outcomes: CheckOutcome[], verbose: boolean, unmatchedExcludes: string[]): { status: number; body: string } {
  let lines = '';
  let failed = false;
  for (const o of outcomes) {
    if ('excluded' in o) lines += `[+]${o.name} excluded: ok\n`;
    else if (o.error !== undefined) {
      failed = true;
      lines += `[-]${o.name} failed: reason withheld\n`;
    } else lines += `[+]${o.name} ok\n`;
  }
  if (unmatchedExcludes.length) lines += `warn: some health checks cannot be excluded: no matches for ${quoted(unmatchedExcludes)}\n`;
  if (failed) return { status: 500, body: `${lines}${endpoint} check failed\n` };
  return { status: 200, body: verbose ? `${lines}${endpoint} check passed\n` : 'ok' };
}

/** A check that fails when `check` takes longer than timeoutMs. */
export function withTimeout(name: string, timeoutMs: number, check: () => Promise<void>): HealthCheck {
  return {
    name,
    check: () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        check().then(
          () => (clearTimeout(timer), resolve()),
          (err: Error) => (clearTimeout(timer), reject(err)),
        );
      }),
  };
}

async function outcome(c: HealthCheck): Promise<CheckOutcome> {
  try {
    await c.check();
    return { name: c.name };
  } catch (err) {
    return { name: c.name, error: (err as Error)?.message ?? String(err) };
  }
}

function queryList(req: Request, key: string): string[] {
  const v = req.query[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
}

function sendText(res: Response, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

/** Serves each endpoint and each of its checks at /<endpoint>/<check>; failures are logged with their reasons. */
export function installHealthChecks(app: Express, checks: Record<HealthEndpoint, HealthCheck[]>, log: (line: string) => void): void {
  for (const endpoint of Object.keys(checks) as HealthEndpoint[]) {
    const list = checks[endpoint];
    app.get(`/${endpoint}`, async (req: Request, res: Response) => {
      const excluded = new Set(queryList(req, 'exclude'));
      const outcomes = await Promise.all(list.map((c) => (excluded.delete(c.name) ? ({ name: c.name, excluded: true } as const) : outcome(c))));
      const report = healthReport(endpoint, outcomes, req.query.verbose !== undefined, [...excluded]);
      const failures = outcomes.filter((o): o is { name: string; error: string } => 'error' in o && o.error !== undefined);
      if (failures.length) log(`${endpoint} check failed: ${failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
      sendText(res, report.status, report.body);
    });
    for (const c of list) {
      app.get(`/${endpoint}/${c.name}`, async (_req: Request, res: Response) => {
        const o = await outcome(c);
        if ('error' in o && o.error !== undefined) sendText(res, 500, `internal server error: ${o.error}\n`);
        else sendText(res, 200, 'ok');
      });
    }
  }
}
