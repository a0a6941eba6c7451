// `steer set image TYPE/NAME CONTAINER=IMAGE… [--all | -l SEL]`: a strategic-merge patch of the pod
// template's containers (or a pod's own), by container name; `*=IMAGE` sets every container. As kubectl:
// `… image updated` per changed object, nothing for an unchanged one, and an unknown container name is an
// error reported after the other objects are done.
import { Command } from 'commander';
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { KubeClient, KubeObject } from '../../lib/client/client';
import { resourcePath } from '../../lib/api/resources';
import { action, failWith } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';
import { resolveTargets } from './label';

export function parseImageUpdates(args: string[]): { resourceArgs: string[]; images: Array<[string, string]> } {
  const resourceArgs: string[] = [];
  const images: Array<[string, string]> = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq > 0) images.push([arg.slice(0, eq), arg.slice(eq + 1)]);
    else resourceArgs.push(arg);
  }
  if (images.length === 0) throw new Error('at least one image update is required');
  return { resourceArgs, images };
}

/** Where a kind keeps its pod spec: a Pod's own, the template's for the workload kinds. */
function podSpecOf(obj: KubeObject): { spec: PodSpec | undefined; wrap: (containers: Record<string, Container[]>) => unknown } {
  if (obj.kind === 'Pod' || (obj as { spec?: { containers?: unknown } }).spec?.containers) {
    return { spec: (obj as { spec?: PodSpec }).spec, wrap: (c) => ({ spec: c }) };
  }
  const template = (obj as { spec?: { template?: { spec?: PodSpec } } }).spec?.template;
  return { spec: template?.spec, wrap: (c) => ({ spec: { template: { spec: c } } }) };
}

/** The patch for one object, or undefined when nothing changes; throws for an unknown container. */
export function imagePatch(obj: KubeObject, images: Array<[string, string]>): unknown | undefined {
  const { spec, wrap } = podSpecOf(obj);
  if (!spec) throw new Error(`${obj.kind || 'object'} has no pod template`);
  const lists: Array<'initContainers' | 'containers'> = ['initContainers', 'containers'];
  const changed: Record<string, Container[]> = {};
  for (const [container, image] of images) {
    let found = false;
    for (const list of lists) {
      for (const c of spec[list] || []) {
        if (container !== '*' && c.name !== container) continue;
        found = true;
        if (c.image === image) continue;
        (changed[list] ||= []).push({ name: c.name, image });
      }
    }
    if (!found) throw new Error(`unable to find container named "${container}"`);
  }
  return Object.keys(changed).length ? wrap(changed) : undefined;
}

export interface SetImageOptions {
  namespace: string;
  all?: boolean;
  selector?: string;
}

/** Returns the errors of objects that could not be updated (the rest are). */
export async function runSetImage(client: KubeClient, args: string[], o: SetImageOptions, streams: Streams): Promise<string[]> {
  const { resourceArgs, images } = parseImageUpdates(args);
  const targets = await resolveTargets(client, { resourceArgs, namespace: o.namespace, all: o.all, selector: o.selector });
  const errors: string[] = [];
  for (const { resource, object } of targets) {
    let patch: unknown;
    try {
      patch = imagePatch({ kind: resource.kind, ...object }, images);
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    if (patch === undefined) continue;
    const md = object.metadata || {};
    await client.request('PATCH', resourcePath(resource, { namespace: resource.namespaced ? md.namespace : undefined, name: md.name || '' }), {
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'kubectl-set' },
    });
    streams.out(`${qualifiedName(resource, md.name || '')} image updated\n`);
  }
  return errors;
}

/** `steer set image`. */
export function register(program: Command): void {
  const set = program.command('set').description('set specific features on objects');
  withClientOptions(
    set
      .command('image')
      .argument('<args...>', 'TYPE/NAME… (or TYPE with --all / -l), then CONTAINER=IMAGE… (* for every container)')
      .description("update the image of a pod template's (or pod's) containers")
      .option('--all', 'every object of the type in the namespace')
      .option('-l, --selector <selector>', 'objects matching this label selector'),
  ).action(
    action(async (args: string[], o: ClientFlags & { all?: boolean; selector?: string }) => {
      await withClient(o, async (client) => failWith(await runSetImage(client, args, { namespace: namespaceOf(client, o), all: o.all, selector: o.selector }, processStreams)));
    }),
  );
}
