// The PodSecurity admission plugin (k8s.io/pod-security-admission/admission), validating phase:
// - pods (create, and updates that change an image): the namespace's enforce level refuses a pod that
//   breaks it — `pods "x" is forbidden: violates PodSecurity "restricted:latest": <reason (detail)>, ...`
//   — its warn level adds a Warning `would violate PodSecurity ...`, its audit level an audit annotation;
// - workloads with a pod template (Deployments, ReplicaSets, DaemonSets, Jobs): warn and audit only, as
//   Kubernetes does, since their pods are checked when they are created;
// - namespaces: labels with bad levels or versions are refused (422), and making enforce stricter warns
//   about the existing pods that would break it.
// Exemptions (usernames, namespaces, runtime classes) are empty by default, as in kube-apiserver: no
// namespace, kube-system included, is exempt unless configured.
import type { Namespace, Pod, PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { Resources } from '../../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../../auth/types';
import { ApiStatusError, errors } from '../../errors';
import type { KObj } from '../../storage/types';
import { aggregateCheckResults, Evaluator, forbiddenDetail, forbiddenReason, type AggregateCheckResult } from './checks';
import {
  AuditViolationsAnnotation,
  compareLevels,
  defaultPolicy,
  EnforcedPolicyAnnotation,
  ExemptAnnotation,
  fullyPrivileged,
  levelVersionString,
  policyToEvaluate,
  sameLevelVersion,
  type FieldError,
  type LevelVersion,
  type Policy,
} from './policy';

export interface PodSecurityExemptions {
  usernames?: string[];
  namespaces?: string[];
  runtimeClasses?: string[];
}

export interface PodSecurityOptions {
  getNamespace: (name: string) => Promise<KObj | undefined> | KObj | undefined;
  listPods: (namespace: string) => Promise<KObj[]> | KObj[];
  /** The policy of namespaces without labels (default privileged:latest for all three modes). */
  defaults?: Policy;
  exemptions?: PodSecurityExemptions;
  /** At most this many existing pods are checked when a namespace's enforce level changes (default 3000). */
  namespaceMaxPodsToCheck?: number;
}

/** Pod subresources PodSecurity never looks at. */
const ignoredPodSubresources = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

/** Resources whose objects carry a pod template (those steer serves). */
const podTemplateResources = new Set([Resources.deployments, Resources.replicasets, Resources.daemonsets, Resources.jobs]);

function templateOf(obj: KObj): PodTemplateSpec | undefined {
  const spec = obj.spec as { template?: PodTemplateSpec } | undefined;
  return spec?.template;
}

/** Only an image change of a container makes an update worth checking (isSignificantPodUpdate). */
function isSignificantPodUpdate(pod: Pod, old: Pod): boolean {
  const a = pod.spec ?? ({} as PodSpec);
  const b = old.spec ?? ({} as PodSpec);
  if ((a.containers ?? []).length !== (b.containers ?? []).length) return true;
  if ((a.initContainers ?? []).length !== (b.initContainers ?? []).length) return true;
  if ((a.containers ?? []).some((c, i) => c.image !== b.containers![i].image)) return true;
  if ((a.initContainers ?? []).some((c, i) => c.image !== b.initContainers![i].image)) return true;
  for (const c of a.ephemeralContainers ?? []) {
    const oc = (b.ephemeralContainers ?? []).find((x) => x.name === c.name);
    if (!oc || oc.image !== c.image) return true;
  }
  return false;
}

function invalidNamespace(name: string, errs: FieldError[]): ApiStatusError {
  return errors.invalid(Resources.namespaces, name, errs.map((e) => ({ reason: 'FieldValueInvalid', field: e.field, message: `Invalid value: ${JSON.stringify(e.value)}: ${e.message}` })));
}

function sameErrors(a: FieldError[], b: FieldError[]): boolean {
  return a.length === b.length && a.every((e, i) => e.field === b[i].field && e.value === b[i].value && e.message === b[i].message);
}

export class PodSecurityAdmission implements AdmissionPlugin {
  readonly name = 'PodSecurity';
  private readonly evaluator = new Evaluator();
  private readonly defaults: Policy;

  constructor(private readonly o: PodSecurityOptions) {
    this.defaults = o.defaults ?? defaultPolicy;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (a.rt === Resources.namespaces) return this.validateNamespace(a);
    if (a.rt === Resources.pods) return this.validatePod(a);
    if (podTemplateResources.has(a.rt)) return this.validatePodController(a);
  }

  private exemptNamespace(ns: string): boolean {
    return !!ns && (this.o.exemptions?.namespaces ?? []).includes(ns);
  }

  private exemptUser(user: string): boolean {
    return !!user && (this.o.exemptions?.usernames ?? []).includes(user);
  }

  private exemptRuntimeClass(rc: string | undefined): boolean {
    return !!rc && (this.o.exemptions?.runtimeClasses ?? []).includes(rc);
  }

  private policyOf(ns: KObj): { policy: Policy; errors: FieldError[] } {
    return policyToEvaluate((ns.metadata.labels as Record<string, string> | undefined) ?? undefined, this.defaults);
  }

  private async validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (a.subresource !== '' || !a.object) return;
    const ns = a.object as unknown as Namespace;
    const { policy: next, errors: nextErrs } = policyToEvaluate(ns.metadata?.labels, this.defaults);
    if (a.operation === 'CREATE') {
      if (nextErrs.length) throw invalidNamespace(a.name, nextErrs);
      if (this.exemptNamespace(a.name)) this.warnExemptNamespace(a, next, ns.metadata?.labels ?? {});
      return;
    }
    const { policy: prev, errors: prevErrs } = policyToEvaluate((a.oldObject?.metadata.labels as Record<string, string> | undefined) ?? undefined, this.defaults);
    if (nextErrs.length && (!prevErrs.length || !sameErrors(nextErrs, prevErrs))) throw invalidNamespace(a.name, nextErrs);
    if (sameLevelVersion(next.enforce, prev.enforce) || next.enforce.level === 'privileged') return;
    if (next.enforce.version === prev.enforce.version && compareLevels(next.enforce.level, prev.enforce.level) < 1) return;
    if (this.exemptNamespace(a.name)) {
      this.warnExemptNamespace(a, next, ns.metadata?.labels ?? {});
      return;
    }
    a.warnings.push(...(await this.evaluatePodsInNamespace(a.name, next.enforce)));
  }

  private warnExemptNamespace(a: AdmissionAttributes, p: Policy, labels: Record<string, string>): void {
    if (fullyPrivileged(p)) return;
    const parts: string[] = [];
    const has = (mode: string) => `pod-security.kubernetes.io/${mode}` in labels || `pod-security.kubernetes.io/${mode}-version` in labels;
    if (p.enforce.level !== 'privileged' && has('enforce')) parts.push(`enforce=${levelVersionString(p.enforce)}`);
    if (p.audit.level !== 'privileged' && has('audit')) parts.push(`audit=${levelVersionString(p.audit)}`);
    if (p.warn.level !== 'privileged' && has('warn')) parts.push(`warn=${levelVersionString(p.warn)}`);
    a.warnings.push(`namespace ${JSON.stringify(a.name)} is exempt from Pod Security, and the policy (${parts.join(', ')}) will be ignored`);
  }

  /** Warnings for the existing pods of a namespace its new enforce level would refuse. */
  private async evaluatePodsInNamespace(namespace: string, enforce: LevelVersion): Promise<string[]> {
    const pods = (await this.o.listPods(namespace)).map((p) => p as unknown as Pod).filter((p) => !this.exemptRuntimeClass(p.spec?.runtimeClassName));
    // One pod per controller first, so a big ReplicaSet does not hide the others.
    const seen = new Set<string>();
    const first: Pod[] = [];
    const rest: Pod[] = [];
    for (const p of pods) {
      const owner = p.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
      if (owner && seen.has(owner)) rest.push(p);
      else {
        if (owner) seen.add(owner);
        first.push(p);
      }
    }
    const ordered = [...first, ...rest];
    const max = this.o.namespaceMaxPodsToCheck ?? 3000;
    const checked = ordered.slice(0, max);
    const counts = new Map<string, { podName: string; count: number }>();
    const order: string[] = [];
    for (const pod of checked) {
      const r = aggregateCheckResults(this.evaluator.evaluatePod(enforce.level, enforce.version, pod.metadata ?? {}, pod.spec ?? ({} as PodSpec)));
      if (r.allowed) continue;
      const w = forbiddenReason(r);
      const c = counts.get(w);
      const name = pod.metadata?.name ?? '';
      if (!c) {
        counts.set(w, { podName: name, count: 1 });
        order.push(w);
      } else {
        c.count++;
        if (name < c.podName) c.podName = name;
      }
    }
    const warnings: string[] = [];
    if (checked.length < ordered.length) warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${ordered.length} existing pods`);
    if (order.length) warnings.push(`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`);
    const podWarnings = order.map((w) => {
      const c = counts.get(w)!;
      if (c.count === 1) return `${c.podName}: ${w}`;
      if (c.count === 2) return `${c.podName} (and 1 other pod): ${w}`;
      return `${c.podName} (and ${c.count - 1} other pods): ${w}`;
    });
    podWarnings.sort();
    return [...warnings, ...podWarnings];
  }

  private async namespacePolicy(a: AdmissionAttributes): Promise<{ policy: Policy; errors: FieldError[] } | undefined> {
    const ns = await this.o.getNamespace(a.namespace);
    return ns ? this.policyOf(ns) : undefined;
  }

  private async validatePod(a: AdmissionAttributes): Promise<void> {
    if (ignoredPodSubresources.has(a.subresource) || !a.object) return;
    if (this.exemptNamespace(a.namespace)) {
      a.auditAnnotations[ExemptAnnotation] = 'namespace';
      return;
    }
    if (this.exemptUser(a.user.name)) {
      a.auditAnnotations[ExemptAnnotation] = 'user';
      return;
    }
    const nsPolicy = await this.namespacePolicy(a);
    if (!nsPolicy) throw errors.internal(`failed to lookup namespace ${JSON.stringify(a.namespace)}`);
    if (!nsPolicy.errors.length && fullyPrivileged(nsPolicy.policy)) {
      a.auditAnnotations[EnforcedPolicyAnnotation] = levelVersionString({ level: 'privileged', version: 'latest' });
      return;
    }
    const pod = a.object as unknown as Pod;
    if (a.operation === 'UPDATE' && a.oldObject && !isSignificantPodUpdate(pod, a.oldObject as unknown as Pod)) return;
    this.evaluatePod(a, nsPolicy.policy, nsPolicy.errors, pod.metadata ?? {}, pod.spec ?? ({} as PodSpec), true);
  }

  private async validatePodController(a: AdmissionAttributes): Promise<void> {
    if (a.subresource !== '' || !a.object) return;
    if (this.exemptNamespace(a.namespace)) {
      a.auditAnnotations[ExemptAnnotation] = 'namespace';
      return;
    }
    if (this.exemptUser(a.user.name)) {
      a.auditAnnotations[ExemptAnnotation] = 'user';
      return;
    }
    const nsPolicy = await this.namespacePolicy(a);
    if (!nsPolicy) {
      a.auditAnnotations.error = `failed to lookup namespace ${JSON.stringify(a.namespace)}`;
      return;
    }
    const p = nsPolicy.policy;
    if (!nsPolicy.errors.length && p.warn.level === 'privileged' && p.audit.level === 'privileged') return;
    const template = templateOf(a.object);
    if (!template) return;
    this.evaluatePod(a, p, nsPolicy.errors, template.metadata ?? {}, template.spec ?? ({} as PodSpec), false);
  }

  private evaluatePod(a: AdmissionAttributes, p: Policy, policyErrors: FieldError[], md: ObjectMeta, spec: PodSpec, enforce: boolean): void {
    if (this.exemptRuntimeClass(spec.runtimeClassName)) {
      a.auditAnnotations[ExemptAnnotation] = 'runtimeClass';
      return;
    }
    if (policyErrors.length) a.auditAnnotations.error = `Failed to parse policy: ${policyErrors.map((e) => `${e.field}: Invalid value: ${JSON.stringify(e.value)}: ${e.message}`).join(', ')}`;
    const cache = new Map<string, AggregateCheckResult>();
    const evaluate = (lv: LevelVersion): AggregateCheckResult => {
      const key = levelVersionString(lv);
      let r = cache.get(key);
      if (!r) {
        r = aggregateCheckResults(this.evaluator.evaluatePod(lv.level, lv.version, md, spec));
        cache.set(key, r);
      }
      return r;
    };
    let refusal: ApiStatusError | undefined;
    if (enforce) {
      a.auditAnnotations[EnforcedPolicyAnnotation] = levelVersionString(p.enforce);
      const r = evaluate(p.enforce);
      if (!r.allowed) refusal = errors.forbidden(Resources.pods, a.name, `violates PodSecurity ${JSON.stringify(levelVersionString(p.enforce))}: ${forbiddenDetail(r)}`);
    }
    const audit = evaluate(p.audit);
    if (!audit.allowed) a.auditAnnotations[AuditViolationsAnnotation] = `would violate PodSecurity ${JSON.stringify(levelVersionString(p.audit))}: ${forbiddenDetail(audit)}`;
    if (refusal) throw refusal;
    const warn = evaluate(p.warn);
    if (!warn.allowed) a.warnings.push(`would violate PodSecurity ${JSON.stringify(levelVersionString(p.warn))}: ${forbiddenDetail(warn)}`);
  }
}
