// The audit policy (audit.k8s.io/v1 Policy, kube-apiserver's --audit-policy-file): the first rule that
// matches a request — by user, group, verb, resource (group, resources with subresources, names),
// namespace or non-resource URL — sets its level (None, Metadata, Request, RequestResponse) and the
// stages left out; a request no rule matches is not audited. As k8s.io/apiserver/pkg/audit/policy.
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';
import type { Attributes } from '../types';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

export const levels: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
export const stages: readonly Stage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

export interface Policy {
  apiVersion: string;
  kind: 'Policy';
  rules: PolicyRule[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

/** What the policy says of one request. */
export interface AuditConfig {
  level: Level;
  omitStages: Stage[];
  omitManagedFields: boolean;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** ValidatePolicy: the errors of a policy, in Kubernetes' field terms. */
export function validatePolicy(p: Policy): string[] {
  const errs: string[] = [];
  const checkStages = (field: string, s: unknown) => {
    if (s === undefined) return;
    if (!isStringList(s)) return errs.push(`${field}: Invalid value: must be a list of stages`);
    s.forEach((st, i) => {
      if (!stages.includes(st as Stage)) errs.push(`${field}[${i}]: Unsupported value: ${JSON.stringify(st)}: supported values: ${stages.map((x) => JSON.stringify(x)).join(', ')}`);
    });
  };
  checkStages('omitStages', p.omitStages);
  if (!Array.isArray(p.rules)) return [...errs, 'rules: Required value'];
  p.rules.forEach((r, i) => {
    const f = `rules[${i}]`;
    if (!r || typeof r !== 'object') return errs.push(`${f}: Invalid value: must be an object`);
    if (!r.level) errs.push(`${f}.level: Required value`);
    else if (!levels.includes(r.level)) errs.push(`${f}.level: Unsupported value: ${JSON.stringify(r.level)}: supported values: ${levels.map((x) => JSON.stringify(x)).join(', ')}`);
    for (const k of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
      if (r[k] !== undefined && !isStringList(r[k])) errs.push(`${f}.${k}: Invalid value: must be a list of strings`);
    }
    if ((r.nonResourceURLs?.length ?? 0) > 0 && ((r.resources?.length ?? 0) > 0 || (r.namespaces?.length ?? 0) > 0)) {
      errs.push(`${f}.nonResourceURLs: Invalid value: ${JSON.stringify(r.nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`);
    }
    (r.nonResourceURLs ?? []).forEach((u, j) => {
      if (!u.startsWith('/') && u !== '*') errs.push(`${f}.nonResourceURLs[${j}]: Invalid value: ${JSON.stringify(u)}: non-resource URL rules must begin with a '/' character`);
      else if (u.slice(0, -1).includes('*')) errs.push(`${f}.nonResourceURLs[${j}]: Invalid value: ${JSON.stringify(u)}: non-resource URL wildcards '*' must be the final character of the rule`);
    });
    (r.resources ?? []).forEach((g, j) => {
      for (const res of g.resources ?? []) {
        if (!res) errs.push(`${f}.resources[${j}].resources: Invalid value: "": resource name may not be empty`);
        if ((g.resourceNames?.length ?? 0) > 0 && (res === '*' || res.startsWith('*/') || res.endsWith('/*'))) {
          errs.push(`${f}.resources[${j}].resourceNames: Invalid value: ${JSON.stringify(g.resourceNames)}: using resource names requires an exact resource`);
        }
      }
    });
    checkStages(`${f}.omitStages`, r.omitStages);
  });
  return errs;
}

/** Reads a policy file (YAML or JSON); throws with what is wrong. */
export function loadPolicyFile(path: string): Policy {
  let doc: unknown;
  try {
    doc = yaml.load(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`failed to read audit policy file ${path}: ${(err as Error).message}`);
  }
  const p = doc as Policy;
  if (!p || typeof p !== 'object') throw new Error(`audit policy file ${path}: not a Policy object`);
  if (p.kind !== 'Policy' || !['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'].includes(p.apiVersion)) {
    throw new Error(`audit policy file ${path}: expected apiVersion audit.k8s.io/v1 and kind Policy, got ${String(p.apiVersion)} ${String(p.kind)}`);
  }
  const errs = validatePolicy(p);
  if (errs.length) throw new Error(`invalid audit policy ${path}: ${errs.join('; ')}`);
  if (p.rules.length === 0) throw new Error(`audit policy ${path} has no rules`);
  return p;
}

function pathMatches(path: string, spec: string): boolean {
  return spec === '*' || spec === path || (spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, '')));
}

function ruleMatchesResource(r: PolicyRule, a: Attributes): boolean {
  if (!a.resourceRequest) return false;
  if (r.namespaces?.length && !r.namespaces.includes(a.namespace)) return false;
  if (!r.resources?.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if ((gr.group ?? '') !== a.apiGroup) continue;
    if (!gr.resources?.length) return true;
    for (const res of gr.resources) {
      if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name)) continue;
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && a.subresource === res.slice(2)) return true;
      if (res.endsWith('/*') && a.resource === res.slice(0, -2)) return true;
    }
  }
  return false;
}

/** ruleMatches; `a.user` undefined is a request that failed authentication. */
export function ruleMatches(r: PolicyRule, a: Omit<Attributes, 'user'> & { user?: Attributes['user'] }): boolean {
  if (r.users?.length && (!a.user || !r.users.includes(a.user.name))) return false;
  if (r.userGroups?.length && (!a.user || !a.user.groups.some((g) => r.userGroups!.includes(g)))) return false;
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return ruleMatchesResource(r, a as Attributes);
  if (r.nonResourceURLs?.length) return !a.resourceRequest && r.nonResourceURLs.some((s) => pathMatches(a.path, s));
  return true;
}

/** EvaluatePolicyRule: the first matching rule's level and stages; None when none matches. */
export function evaluatePolicy(p: Policy, a: Omit<Attributes, 'user'> & { user?: Attributes['user'] }): AuditConfig {
  const base = p.omitStages ?? [];
  for (const r of p.rules) {
    if (!ruleMatches(r, a)) continue;
    return {
      level: r.level,
      omitStages: [...new Set([...base, ...(r.omitStages ?? [])])],
      omitManagedFields: r.omitManagedFields ?? p.omitManagedFields ?? false,
    };
  }
  return { level: 'None', omitStages: base, omitManagedFields: p.omitManagedFields ?? false };
}
