// `steer apply -f` (the verb): kubectl's client-side apply for every object in the files, in order; the
// per-object engine is cli/client-side-apply/.
import { Command } from 'commander';
import { KubeClient } from '../../lib/client/client';
import { ResourceType, resourceForKind } from '../../lib/api/resources';
import { applyObject } from '../client-side-apply/apply-object';
import { JsonMap } from '../client-side-apply/three-way';
import { ReportedError, action, describeError } from '../errors';
import { collect } from '../flag-values';
import { Streams, processStreams } from '../io';
import { Manifest, loadManifests } from '../manifests';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';

/**
 * The resource of a manifest and the object with its namespace settled as kubectl settles it: the
 * file's namespace, else -n / the context's; a file namespace that contradicts an explicit -n is an error.
 */
export function placeObject(m: Manifest, namespace: string, explicitNamespace: boolean): { resource: ResourceType; object: JsonMap } {
  const apiVersion = String(m.object.apiVersion);
  const kind = String(m.object.kind);
  const resource = resourceForKind(apiVersion, kind);
  if (!resource) throw new Error(`unable to recognize "${m.source}": no matches for kind "${kind}" in version "${apiVersion}"`);
  const md = (m.object.metadata as JsonMap | undefined) || {};
  if (!md.name) throw new Error(`error when retrieving current configuration from "${m.source}": resource name may not be empty`);
  if (!resource.namespaced) return { resource, object: m.object };
  const fileNamespace = typeof md.namespace === 'string' && md.namespace ? md.namespace : undefined;
  if (fileNamespace && explicitNamespace && fileNamespace !== namespace) {
    throw new Error(
      `the namespace from the provided object "${fileNamespace}" does not match the namespace "${namespace}". You must pass '--namespace=${fileNamespace}' to perform this operation.`,
    );
  }
  return { resource, object: { ...m.object, metadata: { ...md, namespace: fileNamespace || namespace } } };
}

/** Applies each manifest and prints `kind.group/name created|configured|unchanged`; false if any failed. */
export async function runApply(client: KubeClient, manifests: Manifest[], namespace: string, explicitNamespace: boolean, streams: Streams): Promise<boolean> {
  let ok = true;
  for (const m of manifests) {
    try {
      const { resource, object } = placeObject(m, namespace, explicitNamespace);
      const result = await applyObject(client, resource, object);
      streams.out(`${qualifiedName(resource, String((object.metadata as JsonMap).name))} ${result}\n`);
    } catch (err) {
      streams.err(describeError(err) + '\n');
      ok = false;
    }
  }
  return ok;
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('apply')
      .description('apply a configuration to resources from files, a directory or stdin (client-side apply, like kubectl)')
      .requiredOption('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [] as string[])
      .option('-R, --recursive', 'process directories recursively'),
  ).action(
    action(async (o: ClientFlags & { filename: string[]; recursive?: boolean }) => {
      const ok = await withClient(o, (client) => runApply(client, loadManifests(o.filename, !!o.recursive), namespaceOf(client, o), !!o.namespace, processStreams));
      if (!ok) throw new ReportedError();
    }),
  );
}
