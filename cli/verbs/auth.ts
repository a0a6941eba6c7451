// `steer auth can-i`: kubectl's way of asking the server what the caller may do — a
// SelfSubjectAccessReview for one verb on a resource (or non-resource URL), answered `yes` (exit 0) or
// `no` (exit 1, with the server's reason when it gives one); `--list` a SelfSubjectRulesReview of the
// namespace, printed as kubectl prints it.
import { Command } from 'commander';
import { findResource } from '../../lib/api/resources';
import type { KubeClient } from '../../lib/client/client';
import { action, ReportedError } from '../errors';
import { boolFlag } from '../flag-values';
import { processStreams, type Streams } from '../io';
import { type ClientFlags, namespaceOf, withAllNamespaces, withClient, withClientOptions } from '../options';
import { tabulate } from '../printers';

interface Rule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface RulesReviewStatus {
  resourceRules?: Rule[];
  nonResourceRules?: Rule[];
  incomplete?: boolean;
  evaluationError?: string;
}

interface AccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface CanIOptions {
  namespace: string;
  /** -A: in every namespace (no namespace in the review). */
  allNamespaces?: boolean;
  subresource?: string;
  quiet?: boolean;
}

/** The group and plural of a resource argument (`pods`, `deploy`, `deployments.apps`, `*`), as kubectl's RESTMapper resolves it. */
export function resourceFor(arg: string, streams: Streams): { group: string; resource: string } {
  if (arg === '*') return { group: '', resource: '*' };
  const rt = findResource(arg);
  if (rt) return { group: rt.group, resource: rt.resource };
  const [resource, ...groupParts] = arg.toLowerCase().split('.');
  const group = groupParts.join('.');
  streams.err(group ? `Warning: the server doesn't have a resource type '${resource}' in group '${group}'\n` : `Warning: the server doesn't have a resource type '${resource}'\n`);
  return { group, resource: arg };
}

/** `steer auth can-i VERB TYPE[/NAME] [NAME]` or `VERB /url`: true when allowed. */
export async function runCanI(client: KubeClient, verb: string, target: string, name: string | undefined, o: CanIOptions, streams: Streams): Promise<boolean> {
  let spec: Record<string, unknown>;
  if (target.startsWith('/')) {
    spec = { nonResourceAttributes: { path: target, verb } };
  } else {
    let resourceArg = target;
    let objectName = name;
    const slash = target.indexOf('/');
    if (slash > 0) {
      resourceArg = target.slice(0, slash);
      objectName = target.slice(slash + 1);
    }
    const { group, resource } = resourceFor(resourceArg, streams);
    spec = {
      resourceAttributes: {
        namespace: o.allNamespaces ? '' : o.namespace,
        verb,
        group,
        resource,
        ...(o.subresource ? { subresource: o.subresource } : {}),
        ...(objectName ? { name: objectName } : {}),
      },
    };
  }
  const review = await client.request<{ status?: AccessReviewStatus }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec },
  });
  const status = review.status ?? { allowed: false };
  if (!o.quiet) {
    if (status.allowed) streams.out('yes\n');
    else streams.out(`no${status.reason ? ` - ${status.reason}` : ''}${status.evaluationError ? ` - ${status.evaluationError}` : ''}\n`);
  }
  return status.allowed;
}

/** `kubectl auth can-i --list`'s rows: rules broken down per verb, compacted back per resource, sorted. */
export function listRows(status: RulesReviewStatus): string[][] {
  const broken: Rule[] = [];
  for (const r of [...(status.resourceRules ?? []), ...(status.nonResourceRules ?? [])]) {
    for (const group of r.resources?.length ? (r.apiGroups?.length ? r.apiGroups : ['']) : []) {
      for (const resource of r.resources ?? []) {
        for (const verb of r.verbs) {
          if (r.resourceNames?.length) for (const n of r.resourceNames) broken.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [n] });
          else broken.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        }
      }
    }
    for (const url of r.nonResourceURLs ?? []) for (const verb of r.verbs) broken.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  // CompactRules: one rule per group/resource/name, its verbs gathered in order.
  const compact = new Map<string, Rule>();
  const others: Rule[] = [];
  for (const r of broken) {
    if (r.nonResourceURLs) {
      others.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? null]);
    const existing = compact.get(key);
    if (existing) {
      if (!existing.verbs.includes(r.verbs[0])) existing.verbs.push(r.verbs[0]);
    } else compact.set(key, { ...r, verbs: [...r.verbs] });
  }
  const list = (v: string[] | undefined) => `[${(v ?? []).join(' ')}]`;
  // kubectl sorts by the rule's Go String(): verbs first, then groups, resources, names, URLs.
  const goString = (r: Rule) => `&PolicyRule{Verbs:${list(r.verbs)},APIGroups:${list(r.apiGroups)},Resources:${list(r.resources)},ResourceNames:${list(r.resourceNames)},NonResourceURLs:${list(r.nonResourceURLs)},}`;
  const rules = [...others, ...compact.values()].sort((a, b) => (goString(a) < goString(b) ? -1 : goString(a) > goString(b) ? 1 : 0));
  return rules.map((r) => {
    let combined = '';
    if (r.resources?.length) {
      const [res, sub] = r.resources[0].split(/\/(.*)/s);
      combined = res + (r.apiGroups?.[0] ? `.${r.apiGroups[0]}` : '') + (sub !== undefined ? `/${sub}` : '');
    }
    return [combined, list(r.nonResourceURLs), list(r.resourceNames), list(r.verbs)];
  });
}

export async function runCanIList(client: KubeClient, namespace: string, o: { noHeaders?: boolean }, streams: Streams): Promise<void> {
  const review = await client.request<{ status?: RulesReviewStatus }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace } },
  });
  const status = review.status ?? {};
  if (status.incomplete) streams.err(`warning: the list may be incomplete: ${status.evaluationError ?? ''}\n`);
  const rows = listRows(status);
  if (!o.noHeaders) rows.unshift(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
  streams.out(tabulate(rows).text);
}

export function register(program: Command): void {
  const auth = program.command('auth').description('inspect authorization');
  withAllNamespaces(
    withClientOptions(
      auth
        .command('can-i')
        .description('check whether an action is allowed: VERB TYPE[/NAME] [NAME], VERB /URL, or --list')
        .argument('[verb]')
        .argument('[resource]')
        .argument('[name]')
        .option('--list', 'list what you may do in the namespace')
        .option('--subresource <name>', 'a subresource, such as log or status')
        .option('-q, --quiet', 'print nothing; the exit status says the answer')
        .option('--no-headers', 'with --list: no header row'),
    ),
  ).action(
    action(async (verb: string | undefined, resource: string | undefined, name: string | undefined, o: ClientFlags & { list?: boolean; subresource?: string; quiet?: boolean; headers?: boolean }) => {
      await withClient(o, async (client) => {
        const namespace = namespaceOf(client, o);
        if (o.list) {
          if (verb) throw new Error('--list does not take arguments: steer auth can-i --list');
          await runCanIList(client, namespace, { noHeaders: o.headers === false }, processStreams);
          return;
        }
        if (!verb || !resource) throw new Error('you must specify two or three arguments: verb, resource, and optional resourceName');
        const allowed = await runCanI(client, verb, resource, name, { namespace, allNamespaces: boolFlag(o.allNamespaces, false), subresource: o.subresource, quiet: o.quiet }, processStreams);
        if (!allowed) throw new ReportedError();
      });
    }),
  );
}
