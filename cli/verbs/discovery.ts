// `steer api-resources` and `steer api-versions`: what the server's discovery documents (/api, /apis,
// /api/v1, /apis/GROUP/VERSION) say it serves, printed as kubectl 1.20 prints it.
import { Command } from 'commander';
import { KubeClient } from '../../lib/client/client';
import { action } from '../errors';
import { boolFlag, collect } from '../flag-values';
import { Streams, processStreams } from '../io';
import { ClientFlags, withClient, withClientOptions } from '../options';
import { tabulate } from '../printers';

interface APIVersions {
  versions: string[];
}
interface GroupVersion {
  groupVersion: string;
  version: string;
}
interface APIGroupList {
  groups: Array<{ name: string; versions: GroupVersion[]; preferredVersion?: GroupVersion }>;
}
interface APIResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
}
interface APIResourceList {
  groupVersion: string;
  resources: APIResource[];
}

/** A served resource with the group and version it was discovered under. */
export interface DiscoveredResource {
  group: string;
  groupVersion: string;
  resource: APIResource;
}

/** Every group version the server serves (kubectl api-versions), sorted. */
export async function serverGroupVersions(client: KubeClient): Promise<string[]> {
  const [core, groups] = await Promise.all([client.request<APIVersions>('GET', '/api'), client.request<APIGroupList>('GET', '/apis')]);
  const out = [...(core.versions || [])];
  for (const g of groups.groups || []) for (const v of g.versions || []) out.push(v.groupVersion);
  return out.sort();
}

/** The resources of each group's preferred version (kubectl's ServerPreferredResources), subresources left out. */
export async function serverPreferredResources(client: KubeClient): Promise<DiscoveredResource[]> {
  const [core, groups] = await Promise.all([client.request<APIVersions>('GET', '/api'), client.request<APIGroupList>('GET', '/apis')]);
  const wanted: Array<{ group: string; groupVersion: string; path: string }> = [];
  const coreVersion = (core.versions || [])[0];
  if (coreVersion) wanted.push({ group: '', groupVersion: coreVersion, path: `/api/${coreVersion}` });
  for (const g of groups.groups || []) {
    const preferred = g.preferredVersion || g.versions?.[0];
    if (preferred) wanted.push({ group: g.name, groupVersion: preferred.groupVersion, path: `/apis/${preferred.groupVersion}` });
  }
  const lists = await Promise.all(wanted.map((w) => client.request<APIResourceList>('GET', w.path)));
  const out: DiscoveredResource[] = [];
  lists.forEach((list, i) => {
    for (const r of list.resources || []) {
      if (r.name.includes('/')) continue;
      out.push({ group: wanted[i].group, groupVersion: wanted[i].groupVersion, resource: r });
    }
  });
  return out;
}

export interface ApiResourcesOptions {
  output?: string; // '' | wide | name
  noHeaders?: boolean;
  /** --namespaced=true|false; undefined when the flag was not given. */
  namespaced?: boolean;
  apiGroup?: string;
  verbs?: string[];
  sortBy?: string; // '' | name | kind
}

/** Checks the flags before asking the server, with kubectl's messages. */
export function checkApiResourcesOptions(o: ApiResourcesOptions): void {
  if (o.output && o.output !== 'wide' && o.output !== 'name') throw new Error(`--output ${o.output} is not available`);
  if (o.sortBy && o.sortBy !== 'name' && o.sortBy !== 'kind') throw new Error('--sort-by accepts only name or kind');
}

export async function runApiResources(client: KubeClient, o: ApiResourcesOptions, streams: Streams): Promise<void> {
  checkApiResourcesOptions(o);
  let resources = await serverPreferredResources(client);
  if (o.apiGroup !== undefined) resources = resources.filter((r) => r.group === o.apiGroup);
  if (o.namespaced !== undefined) resources = resources.filter((r) => r.resource.namespaced === o.namespaced);
  if (o.verbs && o.verbs.length) resources = resources.filter((r) => o.verbs!.every((v) => (r.resource.verbs || []).includes(v)));
  const sortKey = (r: DiscoveredResource) => (o.sortBy === 'name' ? r.resource.name : o.sortBy === 'kind' ? r.resource.kind : r.group);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  resources = [...resources].sort((a, b) => cmp(sortKey(a), sortKey(b)) || cmp(a.resource.name, b.resource.name));
  if (o.output === 'name') {
    streams.out(resources.map((r) => (r.group ? `${r.resource.name}.${r.group}` : r.resource.name) + '\n').join(''));
    return;
  }
  const wide = o.output === 'wide';
  const header = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(wide ? ['VERBS'] : [])];
  const rows = resources.map((r) => [
    r.resource.name,
    (r.resource.shortNames || []).join(','),
    r.groupVersion,
    String(r.resource.namespaced),
    r.resource.kind,
    ...(wide ? [`[${(r.resource.verbs || []).join(' ')}]`] : []),
  ]);
  streams.out(tabulate(o.noHeaders ? rows : [header, ...rows]).text);
}

export async function runApiVersions(client: KubeClient, streams: Streams): Promise<void> {
  streams.out((await serverGroupVersions(client)).map((v) => v + '\n').join(''));
}

/** `steer api-resources` and `steer api-versions`. */
export function register(program: Command): void {
  withClientOptions(
    program
      .command('api-resources')
      .description('print the resource types the server supports')
      .option('-o, --output <format>', 'wide|name')
      .option('--no-headers', 'do not print column headers')
      .option('--namespaced [bool]', 'true: only namespaced types; false: only cluster-scoped ones')
      .option('--api-group <group>', 'only this API group ("" for the core group)')
      .option('--verbs <verbs>', 'only types supporting these verbs, e.g. list,get', collect, [] as string[])
      .option('--sort-by <field>', 'name or kind (default: API group)'),
  ).action(
    action(async (o: ClientFlags & { output?: string; headers?: boolean; namespaced?: string | boolean; apiGroup?: string; verbs: string[]; sortBy?: string }) => {
      await withClient(o, (client) =>
        runApiResources(
          client,
          {
            output: o.output,
            noHeaders: o.headers === false,
            namespaced: o.namespaced === undefined ? undefined : boolFlag(o.namespaced, true),
            apiGroup: o.apiGroup,
            verbs: o.verbs.flatMap((v) => v.split(',')).filter(Boolean),
            sortBy: o.sortBy,
          },
          processStreams,
        ),
      );
    }),
  );
  withClientOptions(program.command('api-versions').description('print the API versions the server supports, as group/version')).action(
    action(async (o: ClientFlags) => {
      await withClient(o, (client) => runApiVersions(client, processStreams));
    }),
  );
}
