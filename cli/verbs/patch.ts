// `steer patch TYPE NAME -p PATCH [--type strategic|merge|json]`: one PATCH as kubectl sends it
// (the patch may be YAML or JSON; kubectl turns YAML into JSON first), `… patched` or `… patched (no change)`.
import * as fs from 'node:fs';
import { Command } from 'commander';
import * as yaml from 'js-yaml';
import { KubeClient, KubeObject, PatchType } from '../../lib/client/client';
import { resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';
import { parseResourceArgs } from '../resource-args';

const patchContentTypes: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export function parsePatchType(v: string | undefined): PatchType {
  const t = v || 'strategic';
  if (t === 'strategic' || t === 'merge' || t === 'json') return t;
  throw new Error(`--type must be one of [json merge strategic], not "${t}"`);
}

/** The patch text as JSON (kubectl's yaml.ToJSON: YAML is a superset of JSON). */
export function patchBody(text: string | undefined): string {
  if (text === undefined || text === '') throw new Error('must specify --patch or --patch-file containing the contents of the patch');
  let parsed: unknown;
  try {
    parsed = yaml.load(text, { schema: yaml.JSON_SCHEMA });
  } catch (err) {
    throw new Error(`unable to parse "${text}": ${(err as Error).message.split('\n')[0]}`);
  }
  return JSON.stringify(parsed);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PatchOptions {
  namespace: string;
  patch?: string;
  type?: string;
}

export async function runPatch(client: KubeClient, args: string[], o: PatchOptions, streams: Streams): Promise<void> {
  const type = parsePatchType(o.type);
  const body = patchBody(o.patch);
  const selections = parseResourceArgs(args);
  const targets = selections.flatMap((s) => s.names.map((name) => ({ resource: s.resource, name })));
  if (targets.length === 0) throw new Error('resource(s) were provided, but no name was specified');
  for (const { resource, name } of targets) {
    const path = resourcePath(resource, { namespace: resource.namespaced ? o.namespace : undefined, name });
    const before = await client.request<KubeObject>('GET', path);
    const after = await client.request<KubeObject>('PATCH', path, { body, contentType: patchContentTypes[type], query: { fieldManager: 'kubectl-patch' } });
    streams.out(`${qualifiedName(resource, name)} patched${sameJson(before, after) ? ' (no change)' : ''}\n`);
  }
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('patch')
      .description('update fields of a resource with a strategic merge, JSON merge or JSON patch')
      .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
      .option('-p, --patch <patch>', 'the patch, JSON or YAML')
      .option('--patch-file <file>', 'a file holding the patch')
      .option('--type <type>', 'strategic|merge|json', 'strategic'),
  ).action(
    action(async (args: string[], o: ClientFlags & { patch?: string; patchFile?: string; type: string }) => {
      const patch = o.patchFile !== undefined ? fs.readFileSync(o.patchFile, 'utf8') : o.patch;
      await withClient(o, (client) => runPatch(client, args, { namespace: namespaceOf(client, o), patch, type: o.type }, processStreams));
    }),
  );
}
