// The LimitRanger admission plugin (kube's plugin/pkg/admission/limitranger): a new pod's containers
// get the Container defaults of their namespace's LimitRanges (defaultRequest → requests, default →
// limits, where they set none, noted in the kubernetes.io/limit-ranger annotation), then every
// Container and Pod min, max and maxLimitRequestRatio is checked, refused with 403 and kube's messages.
import type { Container, LimitRange, Pod } from 'kubernetes-types/core/v1';
import { compareQuantities, formatQuantity, parseQuantity } from '../../lib/api/quantity';
import { formatUsage, podAmount } from '../../lib/api/quota';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { errors } from '../errors';

export const LimitRangerAnnotation = 'kubernetes.io/limit-ranger';

export interface LimitRangerOptions {
  listLimitRanges: (namespace: string) => Promise<LimitRange[]>;
}

type LimitItem = NonNullable<LimitRange['spec']>['limits'][number];
type Amounts = Record<string, string | number>;

/** Applies the Container defaults in place; returns what was set, as kube's annotation words it. */
export function applyContainerDefaults(pod: Pod, limitRanges: LimitRange[]): string[] {
  const set: string[] = [];
  const defaults: { requests: Amounts; limits: Amounts } = { requests: {}, limits: {} };
  for (const lr of limitRanges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type !== 'Container') continue;
      Object.assign(defaults.limits, item.default ?? {});
      Object.assign(defaults.requests, item.defaultRequest ?? {});
    }
  }
  // kube's mergeContainerResources: requests named first, then limits, each sorted and joined.
  const apply = (c: Container, containerType: string) => {
    const resources = (c.resources ??= {});
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [name, v] of Object.entries(defaults.limits)) {
      if (resources.limits?.[name] !== undefined) continue;
      (resources.limits ??= {})[name] = String(v);
      setLimits.push(name);
    }
    for (const [name, v] of Object.entries(defaults.requests)) {
      if (resources.requests?.[name] !== undefined) continue;
      (resources.requests ??= {})[name] = String(v);
      setRequests.push(name);
    }
    if (setRequests.length) set.push(`${setRequests.sort().join(', ')} request for ${containerType} ${c.name}`);
    if (setLimits.length) set.push(`${setLimits.sort().join(', ')} limit for ${containerType} ${c.name}`);
  };
  for (const c of pod.spec?.initContainers ?? []) apply(c, 'init container');
  for (const c of pod.spec?.containers ?? []) apply(c, 'container');
  return set;
}

const show = (q: string | number): string => formatQuantity(q);

/** One item's min/max/ratio violations for amounts of a Container or a Pod. */
export function checkLimits(kind: 'Container' | 'Pod', item: LimitItem, requests: Amounts, limits: Amounts): string[] {
  const out: string[] = [];
  for (const [name, min] of Object.entries(item.min ?? {})) {
    const req = requests[name];
    const lim = limits[name];
    if (req === undefined) out.push(`minimum ${name} usage per ${kind} is ${show(min)}.  No request is specified`);
    else if (compareQuantities(req, min) < 0) out.push(`minimum ${name} usage per ${kind} is ${show(min)}, but request is ${show(req)}`);
    if (lim !== undefined && compareQuantities(lim, min) < 0) out.push(`minimum ${name} usage per ${kind} is ${show(min)}, but limit is ${show(lim)}`);
  }
  for (const [name, max] of Object.entries(item.max ?? {})) {
    const req = requests[name];
    const lim = limits[name];
    if (lim === undefined) out.push(`maximum ${name} usage per ${kind} is ${show(max)}.  No limit is specified`);
    else if (compareQuantities(lim, max) > 0) out.push(`maximum ${name} usage per ${kind} is ${show(max)}, but limit is ${show(lim)}`);
    if (req !== undefined && compareQuantities(req, max) > 0) out.push(`maximum ${name} usage per ${kind} is ${show(max)}, but request is ${show(req)}`);
  }
  for (const [name, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const req = requests[name];
    const lim = limits[name];
    if (lim === undefined) out.push(`${name} max limit to request ratio per ${kind} is ${show(ratio)}, but no limit is specified`);
    else if (req === undefined || parseQuantity(req).value === 0) out.push(`${name} max limit to request ratio per ${kind} is ${show(ratio)}, but no request is specified or request is 0`);
    else {
      const actual = parseQuantity(lim).value / parseQuantity(req).value;
      if (actual > parseQuantity(ratio).value) out.push(`${name} max limit to request ratio per ${kind} is ${show(ratio)}, but provided ratio is ${actual.toFixed(6)}`);
    }
  }
  return out;
}

/** Every violation of a pod against its namespace's LimitRanges. */
export function podLimitViolations(pod: Pod, limitRanges: LimitRange[]): string[] {
  const out: string[] = [];
  for (const lr of limitRanges) {
    for (const item of lr.spec?.limits ?? []) {
      if (item.type === 'Container') {
        for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
          out.push(...checkLimits('Container', item, c.resources?.requests ?? {}, c.resources?.limits ?? {}));
        }
      } else if (item.type === 'Pod') {
        const names = new Set([...Object.keys(item.min ?? {}), ...Object.keys(item.max ?? {}), ...Object.keys(item.maxLimitRequestRatio ?? {})]);
        const sum = (kind: 'requests' | 'limits'): Amounts => {
          const amounts: Amounts = {};
          for (const name of names) {
            // A pod-level amount exists only when every container states it (kube's podComputeUsageHelper).
            const all = [...(pod.spec?.containers ?? [])].every((c) => c.resources?.[kind]?.[name] !== undefined);
            // Printed in the containers' own format (1280Mi, not 1342177280).
            if (all) amounts[name] = formatUsage(podAmount(pod, kind, name), pod.spec?.containers[0]?.resources?.[kind]?.[name]);
          }
          return amounts;
        };
        out.push(...checkLimits('Pod', item, sum('requests'), sum('limits')));
      }
    }
  }
  return out;
}

/** utilerrors.NewAggregate(errs).Error(): one message alone, several in brackets. */
export function aggregateMessage(messages: string[]): string {
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

export class LimitRangerAdmission implements AdmissionPlugin {
  readonly name = 'LimitRanger';
  constructor(private readonly o: LimitRangerOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.pods || a.subresource !== '' || a.operation !== 'CREATE' || !a.object) return;
    const ranges = await this.o.listLimitRanges(a.namespace);
    if (!ranges.length) return;
    const pod = a.object as unknown as Pod;
    const set = applyContainerDefaults(pod, ranges);
    if (set.length) {
      const md = (pod.metadata ??= {});
      md.annotations = { ...(md.annotations ?? {}), [LimitRangerAnnotation]: `LimitRanger plugin set: ${set.join('; ')}` };
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.pods || a.subresource !== '' || a.operation !== 'CREATE' || !a.object) return;
    const ranges = await this.o.listLimitRanges(a.namespace);
    const violations = podLimitViolations(a.object as unknown as Pod, ranges);
    if (violations.length) throw errors.forbidden(Resources.pods, a.name, aggregateMessage(violations));
  }
}
