// `steer delete`: by file, by name or with --all / -l; kubectl's propagation policies and its wait for
// the objects to be gone.
import { Command } from 'commander';
import { ApiError, KubeClient, KubeObject, isNotFound } from '../../lib/client/client';
import { ResourceType, resourcePath } from '../../lib/api/resources';
import { ReportedError, action, describeError } from '../errors';
import { boolFlag, collect, parseDuration } from '../flag-values';
import { Streams, processStreams } from '../io';
import { loadManifests } from '../manifests';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { kindQualifier } from '../printers';
import { parseResourceArgs } from '../resource-args';
import { placeObject } from './apply';

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

/** kubectl's --cascade values (1.20's true/false and the newer background|foreground|orphan). */
export function parseCascade(v: string | undefined): Propagation {
  switch ((v ?? 'background').toLowerCase()) {
    case 'true':
    case 'background':
      return 'Background';
    case 'false':
    case 'orphan':
      return 'Orphan';
    case 'foreground':
      return 'Foreground';
    default:
      throw new Error(`invalid cascade value (${v}). Must be "background", "foreground", or "orphan"`);
  }
}

export interface DeleteTarget {
  resource: ResourceType;
  namespace?: string;
  name: string;
}

export interface DeleteOptions {
  propagation: Propagation;
  wait: boolean;
  gracePeriodSeconds?: number;
  ignoreNotFound?: boolean;
  timeoutMs?: number;
}

/** Every object of a type matching a selector (for --all / -l). */
export async function listTargets(client: KubeClient, resource: ResourceType, namespace: string | undefined, labelSelector?: string): Promise<DeleteTarget[]> {
  const list = await client.list<KubeObject>(resource, { namespace: resource.namespaced ? namespace : undefined, labelSelector });
  return (list.items || []).map((it) => ({ resource, namespace: it.metadata?.namespace, name: it.metadata?.name || '' }));
}

async function waitGone(client: KubeClient, t: DeleteTarget, uid: string | undefined, deadline: number): Promise<void> {
  for (;;) {
    try {
      const obj = await client.get<KubeObject>(t.resource, t.namespace, t.name);
      if (uid && obj.metadata?.uid !== uid) return; // a new object of the same name: ours is gone
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the condition on ${t.resource.resource}/${t.name}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes the targets, printing `pod "x" deleted` each; false if any failed. */
export async function runDelete(client: KubeClient, targets: DeleteTarget[], o: DeleteOptions, streams: Streams): Promise<boolean> {
  let ok = true;
  const deleted: Array<{ t: DeleteTarget; uid?: string }> = [];
  for (const t of targets) {
    try {
      // The options go in the query, as client-node sends them: lib/client's DELETE body goes out
      // without Content-Length (Node sends none for DELETE), so the server never reads it.
      const res = await client.request<KubeObject>('DELETE', resourcePath(t.resource, { namespace: t.resource.namespaced ? t.namespace : undefined, name: t.name }), {
        query: { propagationPolicy: o.propagation, gracePeriodSeconds: o.gracePeriodSeconds },
      });
      const uid = res && res.kind !== 'Status' ? res.metadata?.uid : undefined;
      deleted.push({ t, uid });
      streams.out(`${kindQualifier(t.resource)} "${t.name}" deleted\n`);
    } catch (err) {
      if (o.ignoreNotFound && isNotFound(err)) continue;
      if (!(err instanceof ApiError)) throw err;
      streams.err(describeError(err) + '\n');
      ok = false;
    }
  }
  if (o.wait) {
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    for (const { t, uid } of deleted) await waitGone(client, t, uid, deadline);
  }
  return ok;
}

export interface DeleteSelection {
  namespace: string;
  /** Set when -n was given: a file's namespace must then agree with it. */
  explicitNamespace: boolean;
  filenames: string[];
  recursive?: boolean;
  all?: boolean;
  selector?: string;
}

/** What to delete: the files' objects, or the named objects, or every object of a type (--all / -l). */
export async function deleteTargets(client: KubeClient, args: string[], o: DeleteSelection, streams: Streams): Promise<DeleteTarget[]> {
  const targets: DeleteTarget[] = [];
  if (o.filenames.length) {
    for (const m of loadManifests(o.filenames, !!o.recursive)) {
      const { resource, object } = placeObject(m, o.namespace, o.explicitNamespace);
      const md = object.metadata as { name: string; namespace?: string };
      targets.push({ resource, namespace: md.namespace, name: md.name });
    }
    return targets;
  }
  for (const sel of parseResourceArgs(args)) {
    if (sel.names.length) targets.push(...sel.names.map((name) => ({ resource: sel.resource, namespace: o.namespace, name })));
    else if (o.all || o.selector) targets.push(...(await listTargets(client, sel.resource, o.namespace, o.selector)));
    else throw new Error('resource(s) were provided, but no name was specified');
  }
  if (targets.length === 0) streams.out('No resources found\n');
  return targets;
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('delete')
      .description('delete resources by file, by type and name, or by type with --all / -l')
      .argument('[resources...]', 'TYPE NAME... | TYPE/NAME... | TYPE --all')
      .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [] as string[])
      .option('-R, --recursive', 'process directories recursively')
      .option('--all', 'delete all resources of the type in the namespace')
      .option('-l, --selector <selector>', 'label selector')
      .option('--cascade [policy]', 'background|foreground|orphan (true=background, false=orphan)', 'background')
      .option('--grace-period <seconds>', 'seconds given to the pod to terminate gracefully')
      .option('--wait [bool]', 'wait for the objects to be gone before returning', 'true')
      .option('--ignore-not-found', 'treat "not found" as success')
      .option('--timeout <duration>', 'how long to wait for the deletion, e.g. 60s'),
  ).action(
    action(async (args: string[], o: ClientFlags & { filename: string[]; recursive?: boolean; all?: boolean; selector?: string; cascade?: string | boolean; gracePeriod?: string; wait?: string | boolean; ignoreNotFound?: boolean; timeout?: string }) => {
      const ok = await withClient(o, async (client) => {
        const selection = { namespace: namespaceOf(client, o), explicitNamespace: !!o.namespace, filenames: o.filename, recursive: o.recursive, all: o.all, selector: o.selector };
        const targets = await deleteTargets(client, args, selection, processStreams);
        return runDelete(
          client,
          targets,
          {
            propagation: parseCascade(o.cascade === true ? 'background' : (o.cascade as string | undefined)),
            wait: boolFlag(o.wait, true),
            gracePeriodSeconds: o.gracePeriod !== undefined && Number(o.gracePeriod) >= 0 ? Number(o.gracePeriod) : undefined,
            ignoreNotFound: o.ignoreNotFound,
            timeoutMs: parseDuration(o.timeout),
          },
          processStreams,
        );
      });
      if (!ok) throw new ReportedError();
    }),
  );
}
