// `steer wait --for=condition=TYPE[=VALUE] | --for=delete TYPE/NAME… [--all | -l] [--timeout=30s]`: as
// kubectl 1.20, each object is watched (by metadata.name) until its status.conditions has TYPE with
// status VALUE (default True, both compared case-insensitively) or it is gone; each gets the timeout;
// `… condition met` per object, and the objects that timed out are listed in one error.
import { Command } from 'commander';
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, KubeClient, KubeObject, WatchEvent, isNotFound } from '../../lib/client/client';
import { ResourceType } from '../../lib/api/resources';
import { action, failWith } from '../errors';
import { parseDuration } from '../flag-values';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';
import { resolveTargets } from './label';

export type WaitFor = { kind: 'delete' } | { kind: 'condition'; type: string; value: string };

export function parseWaitFor(v: string | undefined): WaitFor {
  const s = (v || '').trim();
  if (s.toLowerCase() === 'delete') return { kind: 'delete' };
  if (s.startsWith('condition=')) {
    const rest = s.slice('condition='.length);
    const eq = rest.indexOf('=');
    const type = eq < 0 ? rest : rest.slice(0, eq);
    const value = eq < 0 ? 'true' : rest.slice(eq + 1);
    if (type) return { kind: 'condition', type, value };
  }
  throw new Error(`unrecognized condition: ${JSON.stringify(s)}`);
}

interface Condition {
  type?: string;
  status?: string;
}

export function conditionMet(obj: KubeObject, f: Extract<WaitFor, { kind: 'condition' }>): boolean {
  const conditions = ((obj as { status?: { conditions?: Condition[] } }).status?.conditions || []) as Condition[];
  return conditions.some((c) => (c.type || '').toLowerCase() === f.type.toLowerCase() && (c.status || '').toLowerCase() === f.value.toLowerCase());
}

export interface WaitOptions {
  namespace: string;
  for: WaitFor;
  /** 0: check once; default 30 s. */
  timeoutMs: number;
  all?: boolean;
  selector?: string;
}

/**
 * Waits until `done(obj | undefined)` (undefined: the object is gone) holds for one object, watching it
 * by name; false when the timeout passes first.
 */
async function waitOne(client: KubeClient, r: ResourceType, namespace: string | undefined, name: string, done: (obj: KubeObject | undefined) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let current: KubeObject | undefined;
    try {
      current = await client.get<KubeObject>(r, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (done(current)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    // Watch from what was read; a watch the server ends early is simply started again.
    const met = await new Promise<boolean | 'again'>((resolve, reject) => {
      let settled = false;
      const finish = (v: boolean | 'again', err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        handle.then((h) => h.stop());
        if (err) reject(err);
        else resolve(v);
      };
      const timer = setTimeout(() => finish(false), left);
      const handle = client.watch<KubeObject>(
        r,
        { namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: current?.metadata?.resourceVersion },
        (ev: WatchEvent<KubeObject>) => {
          if (ev.type === 'ERROR') {
            const st = ev.object as Status;
            if (st.code === 410) finish('again');
            else finish(false, new ApiError(st.code || 500, st));
          } else if (ev.type === 'DELETED' ? done(undefined) : ev.type !== 'BOOKMARK' && done(ev.object)) finish(true);
        },
        (err) => (err instanceof ApiError && err.code !== 410 ? finish(false, err) : finish('again')),
      );
      handle.catch((err: Error) => finish(false, err));
    });
    if (met === true) return true;
    if (met === false) return false;
  }
}

/** Returns the objects' timeout messages (empty: every condition was met). */
export async function runWait(client: KubeClient, resourceArgs: string[], o: WaitOptions, streams: Streams): Promise<string[]> {
  let targets: Array<{ resource: ResourceType; object: KubeObject }>;
  try {
    targets = await resolveTargets(client, { resourceArgs, namespace: o.namespace, all: o.all, selector: o.selector });
  } catch (err) {
    // Waiting for a deletion of what is already gone: kubectl finds nothing to wait for.
    if (o.for.kind === 'delete' && isNotFound(err)) throw new Error('no matching resources found');
    throw err;
  }
  if (targets.length === 0) throw new Error('no matching resources found');
  const f = o.for;
  const done = f.kind === 'delete' ? (obj: KubeObject | undefined) => obj === undefined : (obj: KubeObject | undefined) => !!obj && conditionMet(obj, f);
  const timeouts: string[] = [];
  for (const { resource, object } of targets) {
    const md = object.metadata || {};
    const name = md.name || '';
    const ok = await waitOne(client, resource, resource.namespaced ? md.namespace : undefined, name, done, o.timeoutMs);
    if (ok) streams.out(`${qualifiedName(resource, name)} condition met\n`);
    else timeouts.push(`timed out waiting for the condition on ${resource.resource}/${name}`);
  }
  return timeouts;
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('wait')
      .description('wait until resources meet a condition or are deleted')
      .argument('<resources...>', 'TYPE NAME… | TYPE/NAME… | TYPE with --all / -l')
      .option('--for <condition>', 'delete, or condition=TYPE[=VALUE] (VALUE defaults to true)')
      .option('--timeout <duration>', 'how long to wait for each object (0: check once)', '30s')
      .option('--all', 'every object of the type in the namespace')
      .option('-l, --selector <selector>', 'objects matching this label selector'),
  ).action(
    action(async (args: string[], o: ClientFlags & { for?: string; timeout: string; all?: boolean; selector?: string }) => {
      const waitFor = parseWaitFor(o.for);
      const timeoutMs = /^0+(\.0*)?(ms|s|m|h)?$/.test(o.timeout.trim()) ? 0 : (parseDuration(o.timeout) ?? 30_000);
      await withClient(o, async (client) => failWith(await runWait(client, args, { namespace: namespaceOf(client, o), for: waitFor, timeoutMs, all: o.all, selector: o.selector }, processStreams)));
    }),
  );
}
