// `steer label` and `steer annotate`: KEY=VALUE sets, KEY- removes, on named objects or on every object
// of a type (--all, -l). As kubectl: a key that already has a different value needs --overwrite, each
// object gets one merge patch of only what changed (fieldManager kubectl-label / kubectl-annotate), and
// the line printed says whether anything changed.
import { Command } from 'commander';
import { KubeClient, KubeObject } from '../../lib/client/client';
import { ResourceType, resourcePath } from '../../lib/api/resources';
import { validateLabelValue } from '../../lib/api/selectors';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withAllNamespaces, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';
import { parseResourceArgs } from '../resource-args';

export type MetadataField = 'labels' | 'annotations';

export interface MetadataUpdate {
  set: Array<[string, string]>;
  remove: string[];
}

const noun = (field: MetadataField) => (field === 'labels' ? 'label' : 'annotation');
const article = (field: MetadataField) => (field === 'labels' ? 'a label' : 'an annotation');

/** Splits `label`'s arguments into resource arguments and KEY=VALUE / KEY- updates. */
export function splitMetadataArgs(args: string[], field: MetadataField): { resourceArgs: string[]; update: MetadataUpdate } {
  const resourceArgs: string[] = [];
  const update: MetadataUpdate = { set: [], remove: [] };
  for (const arg of args) {
    if (arg.includes('=')) {
      const parts = arg.split('=');
      if (parts.length !== 2 || parts[0] === '') throw new Error(`invalid ${noun(field)} spec: ${arg}`);
      if (field === 'labels') {
        const errs = validateLabelValue(parts[1]);
        if (errs.length) throw new Error(`invalid label value: "${arg}": ${errs.join('; ')}`);
      }
      update.set.push([parts[0], parts[1]]);
    } else if (arg.endsWith('-') && arg.length > 1) {
      update.remove.push(arg.slice(0, -1));
    } else if (update.set.length || update.remove.length) {
      throw new Error(`invalid ${noun(field)} spec: ${arg}`);
    } else {
      resourceArgs.push(arg);
    }
  }
  if (update.set.length === 0 && update.remove.length === 0) throw new Error(`at least one ${noun(field)} update is required`);
  for (const key of update.remove) {
    if (update.set.some(([k]) => k === key)) throw new Error(`can not both modify and remove ${article(field)} in the same command`);
  }
  return { resourceArgs, update };
}

/**
 * The merge patch's `metadata.<field>` for one object: changed and new keys, removed keys as null.
 * Throws kubectl's --overwrite error for a key that has a different value already.
 */
export function metadataPatch(current: Record<string, string> | undefined, update: MetadataUpdate, field: MetadataField, overwrite: boolean, say: (line: string) => void): Record<string, string | null> {
  const have = current || {};
  if (!overwrite) {
    // Any key present already, even with the same value, as kubectl's validateNoOverwrites.
    const clashes = update.set.filter(([k]) => k in have).map(([k]) => `'${k}' already has a value (${have[k]})`);
    if (clashes.length) {
      throw new Error(field === 'labels' ? clashes.map((c) => `${c}, and --overwrite is false`).join('\n') : `--overwrite is false but found the following declared annotation(s): ${clashes.join(', ')}`);
    }
  }
  const patch: Record<string, string | null> = {};
  for (const [k, v] of update.set) if (have[k] !== v) patch[k] = v;
  for (const k of update.remove) {
    if (k in have) patch[k] = null;
    else if (field === 'labels') say(`label "${k}" not found.\n`);
  }
  return patch;
}

export interface MetadataTargets {
  resourceArgs: string[];
  namespace: string;
  allNamespaces?: boolean;
  all?: boolean;
  selector?: string;
}

/** The objects a label/annotate (or set, wait) command names: TYPE NAME…, TYPE/NAME…, or TYPE with --all / -l. */
export async function resolveTargets(client: KubeClient, t: MetadataTargets): Promise<Array<{ resource: ResourceType; object: KubeObject }>> {
  const out: Array<{ resource: ResourceType; object: KubeObject }> = [];
  for (const sel of parseResourceArgs(t.resourceArgs)) {
    const ns = sel.resource.namespaced ? t.namespace : undefined;
    if (sel.names.length) {
      if (t.selector) throw new Error('name cannot be provided when a selector is specified');
      if (t.all) throw new Error('names cannot be provided when --all is specified');
      for (const name of sel.names) out.push({ resource: sel.resource, object: await client.get<KubeObject>(sel.resource, ns, name) });
    } else if (t.all || t.selector) {
      const list = await client.list<KubeObject>(sel.resource, { namespace: sel.resource.namespaced && !t.allNamespaces ? t.namespace : undefined, labelSelector: t.selector });
      for (const object of list.items) out.push({ resource: sel.resource, object });
    } else {
      throw new Error('resource(s) were provided, but no name, label selector, or --all flag specified');
    }
  }
  return out;
}

export interface MetadataOptions extends Omit<MetadataTargets, 'resourceArgs'> {
  overwrite?: boolean;
}

/** Runs `label` or `annotate` with already split arguments. */
export async function runMetadataEdit(client: KubeClient, field: MetadataField, args: string[], o: MetadataOptions, streams: Streams): Promise<void> {
  const { resourceArgs, update } = splitMetadataArgs(args, field);
  const targets = await resolveTargets(client, { ...o, resourceArgs });
  const verb = field === 'labels' ? 'labeled' : 'annotated';
  for (const { resource, object } of targets) {
    const md = object.metadata || {};
    const patch = metadataPatch(md[field], update, field, !!o.overwrite, streams.out);
    const name = qualifiedName(resource, md.name || '');
    if (Object.keys(patch).length === 0) {
      // kubectl label says when nothing changed; annotate always says annotated.
      streams.out(field === 'labels' ? `${name} not labeled\n` : `${name} annotated\n`);
      continue;
    }
    await client.request('PATCH', resourcePathOf(resource, md.namespace, md.name || ''), {
      query: { fieldManager: field === 'labels' ? 'kubectl-label' : 'kubectl-annotate' },
      body: { metadata: { [field]: patch } },
      contentType: 'application/merge-patch+json',
    });
    streams.out(`${name} ${verb}\n`);
  }
}

function resourcePathOf(r: ResourceType, namespace: string | undefined, name: string): string {
  return resourcePath(r, { namespace: r.namespaced ? namespace : undefined, name });
}

/** `steer label` and `steer annotate`. */
export function register(program: Command): void {
  for (const [verb, field] of [['label', 'labels'], ['annotate', 'annotations']] as Array<[string, MetadataField]>) {
    const what = field === 'labels' ? 'label' : 'annotation';
    withAllNamespaces(
      withClientOptions(
        program
          .command(verb)
          .description(`update the ${field} of resources: KEY=VALUE sets, KEY- removes`)
          .argument('<args...>', `TYPE NAME… | TYPE/NAME… | TYPE (with --all or -l), then KEY=VALUE… and KEY-…`)
          .option('--overwrite', `allow replacing a ${what} that already has a value`)
          .option('--all', 'every object of the type in the namespace')
          .option('-l, --selector <selector>', 'objects matching this label selector'),
      ),
    ).action(
      action(async (args: string[], o: ClientFlags & { overwrite?: boolean; all?: boolean; selector?: string }) => {
        await withClient(o, (client) =>
          runMetadataEdit(client, field, args, { namespace: namespaceOf(client, o), allNamespaces: o.allNamespaces, all: o.all, selector: o.selector, overwrite: o.overwrite }, processStreams),
        );
      }),
    );
  }
}
