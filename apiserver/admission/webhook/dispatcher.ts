// The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins (k8s.io/apiserver's
// pkg/admission/plugin/webhook/{mutating,validating}): every webhook whose rules, selectors and match
// conditions take the request is sent an AdmissionReview. Mutating webhooks one after another, in
// configuration name order, their JSON patches applied to the object (then pruned and defaulted as a
// decoded body is); a webhook with reinvocationPolicy IfNeeded is called once more when a later one
// changed the object. Validating webhooks all at once; the first refusal wins. A webhook that cannot be
// called, or answers wrongly, refuses the request (500) under failurePolicy Fail and is skipped under
// Ignore. Webhooks see neither the admission configurations themselves nor the apiserver's own writes
// (matching.ts).
import { randomUUID } from 'node:crypto';
import * as jsonPatch from 'fast-json-patch';
import type { MutatingWebhook } from 'kubernetes-types/admissionregistration/v1';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../../lib/api/resources';
import { deepEqual } from '../../../lib/api/json';
import type { AdmissionAttributes, AdmissionPlugin } from '../../auth/types';
import { ApiStatusError, errors } from '../../errors';
import { strategyFor } from '../../kinds';
import { webhookAdmissionDuration, webhookFailOpen, webhookRejections } from '../../metrics';
import { bucketOf, keyOf } from '../../registry/keys';
import { isPlainObject } from '../../registry/objects';
import { pruneUnknownFields } from '../../schema';
import type { KObj, Storage } from '../../storage/types';
import { celValue, matchConditions } from '../cel';
import { postReview, resolveTarget, isInvalidResponse, type ServiceLookup } from './client';
import type { ActiveWebhook, WebhookConfigurations } from './configurations';
import { exemptFromAdmissionConfiguration, namespaceLabelsOf, namespaceSelectorMatches, objectSelectorMatches, requestFacts, rulesMatch, type WebhookRequestFacts } from '../matching';
import { admissionRequest, admissionReview, chooseReviewVersion, verifyAdmissionResponse, type AdmissionRequest, type AdmissionResult } from './review';

type HookType = 'admit' | 'validating';

/** A webhook that could not be called or answered wrongly: subject to its failure policy. */
class CallingWebhookError extends Error {}

export interface WebhookDispatcherDeps {
  configurations: WebhookConfigurations;
  storage: Storage;
  /** MutatingAdmissionWebhook is enabled. */
  mutating: boolean;
  /** ValidatingAdmissionWebhook is enabled. */
  validating: boolean;
}

export class WebhookAdmission implements AdmissionPlugin {
  readonly name = 'AdmissionWebhooks';
  private readonly services: ServiceLookup;

  constructor(private readonly deps: WebhookDispatcherDeps) {
    const { storage } = deps;
    this.services = {
      getService: async (ns, name) => (await storage.get(bucketOf(Resources.services), keyOf(Resources.services, ns, name)))?.obj as Service | undefined,
      getEndpoints: async (ns, name) => (await storage.get(bucketOf(Resources.endpoints), keyOf(Resources.endpoints, ns, name)))?.obj as Endpoints | undefined,
    };
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!this.deps.mutating || !this.deps.configurations.mutating.length || exemptFromAdmissionConfiguration(a)) return;
    await this.mutate(a, true);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const mutating = this.deps.mutating ? this.deps.configurations.mutating : [];
    const validating = this.deps.validating ? this.deps.configurations.validating : [];
    if ((!validating.length && !(a.operation === 'DELETE' && mutating.length)) || exemptFromAdmissionConfiguration(a)) return;
    // The registry asks for no mutation on a delete; kube-apiserver still calls mutating webhooks then.
    if (a.operation === 'DELETE' && mutating.length) await this.mutate(a, false);
    if (!validating.length) return;
    const facts = requestFacts(a);
    const selected: ActiveWebhook[] = [];
    for (const w of validating) if (await this.selects(w, a, facts)) selected.push(w);
    if (!selected.length) return;
    const request = this.requestOf(a, facts);
    const failures: Error[] = [];
    await Promise.all(
      selected.map(async (w) => {
        try {
          await this.call(w, 'validating', a, request);
        } catch (err) {
          failures.push(err as Error);
        }
      }),
    );
    if (failures.length) throw failures[0];
  }

  private async mutate(a: AdmissionAttributes, applyPatches: boolean): Promise<void> {
    const facts = requestFacts(a);
    const selected: ActiveWebhook[] = [];
    for (const w of this.deps.mutating ? this.deps.configurations.mutating : []) if (await this.selects(w, a, facts)) selected.push(w);
    if (!selected.length) return;
    // How many times the object was changed, and the count after each IfNeeded webhook last ran.
    let changes = 0;
    const seenAt = new Map<ActiveWebhook, number>();
    const run = async (w: ActiveWebhook, round: number, index: number) => {
      const result = await this.call(w, 'admit', a, this.requestOf(a, facts));
      let mutated = false;
      if (result?.patch?.length && applyPatches && a.object) mutated = applyWebhookPatch(a, w, result.patch);
      a.auditAnnotations[`mutation.webhook.admission.k8s.io/round_${round}_index_${index}`] = JSON.stringify({ configuration: w.configuration, webhook: w.hook.name, mutated });
      if (mutated) changes++;
      if ((w.hook as MutatingWebhook).reinvocationPolicy === 'IfNeeded') seenAt.set(w, changes);
    };
    for (let i = 0; i < selected.length; i++) await run(selected[i], 0, i);
    const again = selected.filter((w) => seenAt.has(w) && seenAt.get(w)! < changes);
    for (let i = 0; i < again.length; i++) await run(again[i], 1, selected.indexOf(again[i]));
  }

  /** The rules, the selectors and the match conditions (an error in one: the failure policy decides). */
  private async selects(w: ActiveWebhook, a: AdmissionAttributes, facts: WebhookRequestFacts): Promise<boolean> {
    const hook = w.hook;
    if (!rulesMatch(hook.rules, facts)) return false;
    if (!(await namespaceSelectorMatches(hook.namespaceSelector, facts, namespaceLabelsOf(this.deps.storage, a, facts)))) return false;
    if (!objectSelectorMatches(hook.objectSelector, a.object, a.oldObject)) return false;
    if (!w.conditions.length) return true;
    const matched = matchConditions(w.conditions, { object: celValue(a.object ?? null), oldObject: celValue(a.oldObject ?? null), request: celValue(this.requestOf(a, facts)) });
    if (typeof matched === 'boolean') return matched;
    if (hook.failurePolicy === 'Ignore') return false;
    throw errors.internal(`failed calling webhook ${JSON.stringify(hook.name)}: failed to evaluate match conditions: ${matched.error}`);
  }

  private requestOf(a: AdmissionAttributes, facts: WebhookRequestFacts): AdmissionRequest {
    return admissionRequest({
      uid: randomUUID(),
      kind: { group: a.rt.group, version: a.rt.version, kind: a.rt.kind },
      resource: { group: facts.group, version: facts.version, resource: facts.resource },
      subresource: a.subresource,
      name: a.name,
      namespace: facts.namespace,
      operation: a.operation,
      user: a.user,
      object: a.object,
      oldObject: a.oldObject,
      dryRun: a.dryRun,
      fieldManager: a.fieldManager,
    });
  }

  /** One call, its failure policy applied: the answer when the webhook allowed the request; undefined when a failure was ignored. */
  private async call(w: ActiveWebhook, type: HookType, a: AdmissionAttributes, request: AdmissionRequest): Promise<AdmissionResult | undefined> {
    const hook = w.hook;
    const name = hook.name;
    if (a.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') throw errors.badRequest(`admission webhook ${JSON.stringify(name)} does not support dry run`);
    const started = process.hrtime.bigint();
    let rejected = false;
    try {
      const result = await this.send(w, type === 'admit', request);
      if (!result.allowed) {
        rejected = true;
        const code = Math.min(result.status?.code && result.status.code >= 400 ? result.status.code : 400, 600);
        webhookRejections.inc({ name, type, operation: a.operation, error_type: 'no_error', rejection_code: String(code) });
        throw deniedError(name, result);
      }
      for (const warning of result.warnings) a.warnings.push(warning);
      for (const [k, v] of Object.entries(result.auditAnnotations)) a.auditAnnotations[`${name}/${k}`] = v;
      return result;
    } catch (err) {
      if (!(err instanceof CallingWebhookError)) throw err;
      if (hook.failurePolicy === 'Ignore') {
        webhookFailOpen.inc({ name, type: type === 'admit' ? 'mutating' : 'validating' });
        a.auditAnnotations[`failed-open.${type === 'admit' ? 'mutation' : 'validation'}.webhook.admission.k8s.io/round_0_index_${w.index}`] = name;
        return undefined;
      }
      rejected = true;
      webhookRejections.inc({ name, type, operation: a.operation, error_type: 'calling_webhook_error', rejection_code: '0' });
      throw errors.internal(`failed calling webhook ${JSON.stringify(name)}: ${err.message}`);
    } finally {
      webhookAdmissionDuration.observe({ name, type, operation: a.operation, rejected: String(rejected) }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async send(w: ActiveWebhook, mutating: boolean, request: AdmissionRequest): Promise<AdmissionResult> {
    const hook = w.hook;
    const version = chooseReviewVersion(hook.admissionReviewVersions);
    if (!version) throw new CallingWebhookError(`webhook does not accept v1 or v1beta1 AdmissionReview`);
    const timeoutSeconds = hook.timeoutSeconds ?? 10;
    let answer: unknown;
    try {
      const target = await resolveTarget(hook.clientConfig, timeoutSeconds, this.services);
      answer = await postReview(target, { ca: w.ca, agent: w.agent, timeoutSeconds, body: Buffer.from(JSON.stringify(admissionReview(version, request))) });
    } catch (err) {
      if (isInvalidResponse(err)) throw new CallingWebhookError(`received invalid webhook response: ${(err as Error).message}`);
      throw new CallingWebhookError(`failed to call webhook: ${(err as Error).message}`);
    }
    try {
      return verifyAdmissionResponse(version, request.uid, mutating, answer);
    } catch (err) {
      throw new CallingWebhookError(`received invalid webhook response: ${(err as Error).message}`);
    }
  }
}

/** kube's webhookerrors.ToStatusErr: the webhook's status, at least a 400, its message after who refused. */
function deniedError(name: string, result: AdmissionResult): ApiStatusError {
  const status = result.status ?? {};
  const code = status.code && status.code >= 400 ? status.code : 400;
  const deniedBy = `admission webhook ${JSON.stringify(name)} denied the request`;
  const message = status.message ? `${deniedBy}: ${status.message}` : status.reason ? `${deniedBy}: ${status.reason}` : `${deniedBy} without explanation`;
  return new ApiStatusError(code, status.reason ?? '', message, isPlainObject(status.details) ? (status.details as ApiStatusError['details']) : undefined);
}

/**
 * Applies a mutating webhook's patch to the object being admitted, which is changed in place (the
 * registry holds it and its metadata), then prunes and defaults it as a decoded body. Whether it changed.
 */
function applyWebhookPatch(a: AdmissionAttributes, w: ActiveWebhook, patch: unknown[]): boolean {
  const object = a.object!;
  let patched: KObj;
  try {
    patched = jsonPatch.applyPatch(structuredClone(object), patch as jsonPatch.Operation[], true, false).newDocument as KObj;
  } catch (err) {
    throw errors.internal(`JSON patch from admission webhook ${JSON.stringify(w.hook.name)} could not be applied: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(patched)) throw errors.internal(`JSON patch from admission webhook ${JSON.stringify(w.hook.name)} did not leave an object`);
  // The object stays of its kind and version, as the decoding into the versioned kind keeps it in kube.
  patched.apiVersion = object.apiVersion;
  patched.kind = object.kind;
  if (!isPlainObject(patched.metadata)) patched.metadata = {};
  const strategy = strategyFor(a.rt);
  if (strategy.prune) strategy.prune(patched);
  else pruneUnknownFields(a.rt, patched);
  strategy.defaults?.(patched, allocationsKept);
  if (deepEqual(patched, object)) return false;
  const md = object.metadata;
  for (const k of Object.keys(object)) delete (object as Record<string, unknown>)[k];
  for (const k of Object.keys(md)) delete (md as Record<string, unknown>)[k];
  Object.assign(md, patched.metadata);
  Object.assign(object, patched, { metadata: md });
  return true;
}

/** A patched Service keeps the addresses it was given before the webhooks ran: none are handed out here. */
const allocationsKept = {
  clusterIP(): string {
    throw errors.internal('a mutating admission webhook removed the ClusterIP of a Service');
  },
  nodePort(): number {
    throw errors.internal('a mutating admission webhook removed a NodePort of a Service');
  },
};
