// autoscaling/v1 HorizontalPodAutoscalers: the stored autoscaling/v2 objects converted at the edge, as
// kube-apiserver serves both versions of one kind (kubectl 1.20's `autoscale` writes v1). v1 carries the
// CPU utilization target only; the other v2 metrics and the behavior of a stored object survive a v1
// write, and the v2 conditions are shown in the `autoscaling.alpha.kubernetes.io/conditions` annotation
// as kube does. GET, LIST, POST, PUT (and status), PATCH and DELETE; no watch.
import type { NextFunction, Request, Response } from 'express';
import type { HorizontalPodAutoscaler as HpaV1 } from 'kubernetes-types/autoscaling/v1';
import type { HorizontalPodAutoscaler as HpaV2, MetricSpec } from 'kubernetes-types/autoscaling/v2';
import { HpaV1Resource, Resources } from '../../lib/api/resources';
import { errors } from '../errors';
import { isPlainObject } from '../registry/objects';
import type { Registry } from '../registry/registry';
import type { KObj } from '../storage/types';
import { applyPatch, parsePatch, patchKind } from './patch';
import type { RequestInfo } from './request-info';
import { deleteOptions, mediaType, parseBody, qs, rawText, sendJSON, writeContext } from './request';

const ConditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';
const rt = Resources.horizontalpodautoscalers;

const isCpuUtilization = (m: MetricSpec) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization';

/** v2 → v1. */
export function toV1(h: HpaV2): HpaV1 {
  const cpu = h.spec?.metrics?.find(isCpuUtilization);
  const cur = h.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current.averageUtilization;
  const annotations = { ...(h.metadata?.annotations ?? {}) };
  if (h.status?.conditions?.length) annotations[ConditionsAnnotation] = JSON.stringify(h.status.conditions);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...h.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      scaleTargetRef: h.spec!.scaleTargetRef,
      ...(h.spec?.minReplicas !== undefined ? { minReplicas: h.spec.minReplicas } : {}),
      maxReplicas: h.spec?.maxReplicas ?? 0,
      ...(cpu?.resource?.target.averageUtilization !== undefined ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
    },
    status: {
      currentReplicas: h.status?.currentReplicas ?? 0,
      desiredReplicas: h.status?.desiredReplicas ?? 0,
      ...(h.status?.lastScaleTime ? { lastScaleTime: h.status.lastScaleTime } : {}),
      ...(h.status?.observedGeneration !== undefined ? { observedGeneration: h.status.observedGeneration } : {}),
      ...(cur !== undefined ? { currentCPUUtilizationPercentage: cur } : {}),
    },
  };
}

/** v1 → v2, keeping what only v2 holds from the stored object (other metrics, behavior, status). */
export function toV2(v1: HpaV1, stored?: HpaV2): HpaV2 {
  const others = (stored?.spec?.metrics ?? []).filter((m) => !isCpuUtilization(m));
  const pct = v1.spec?.targetCPUUtilizationPercentage;
  const cpu: MetricSpec[] = pct !== undefined ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: pct } } }] : [];
  const annotations = { ...(v1.metadata?.annotations ?? {}) };
  delete annotations[ConditionsAnnotation];
  const metrics = [...cpu, ...others];
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...v1.metadata, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: {
      scaleTargetRef: v1.spec?.scaleTargetRef as NonNullable<HpaV2['spec']>['scaleTargetRef'],
      ...(v1.spec?.minReplicas !== undefined ? { minReplicas: v1.spec.minReplicas } : {}),
      maxReplicas: v1.spec?.maxReplicas as number,
      ...(metrics.length ? { metrics } : {}),
      ...(stored?.spec?.behavior ? { behavior: stored.spec.behavior } : {}),
    },
    ...(stored?.status ? { status: stored.status } : {}),
  };
}

function decodeV1(body: unknown): HpaV1 {
  if (!isPlainObject(body)) throw errors.badRequest("Object 'HorizontalPodAutoscaler' is missing or is not a JSON object");
  if (body.apiVersion !== undefined && body.apiVersion !== 'autoscaling/v1') throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (autoscaling/v1)`);
  return body as HpaV1;
}

const asV1 = (o: KObj) => toV1(o as unknown as HpaV2);
const asStored = (h: HpaV2) => h as unknown as KObj;

export function hpaV1Handler(registry: Registry) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const info = res.locals.requestInfo as RequestInfo | undefined;
    if (info?.rt !== HpaV1Resource) return next();
    const ns = info.namespace;
    const name = info.name;
    if (info.watch) throw errors.methodNotAllowed('WATCH', 'horizontalpodautoscalers.v1.autoscaling (watch autoscaling/v2)');
    if (info.subresource && info.subresource !== 'status') throw errors.pathNotFound();
    const ctx = writeContext(req, res);
    if (name === undefined) {
      if (req.method === 'GET') {
        const page = await registry.list(rt, ns, { labelSelector: qs(req, 'labelSelector'), fieldSelector: qs(req, 'fieldSelector') });
        return sendJSON(res, 200, { kind: 'HorizontalPodAutoscalerList', apiVersion: 'autoscaling/v1', metadata: { resourceVersion: String(page.rev) }, items: page.items.map((s) => asV1(s.obj)) });
      }
      if (req.method === 'POST') {
        if (!ns) throw errors.pathNotFound();
        const stored = await registry.create(rt, ns, toV2(decodeV1(parseBody(req))), ctx);
        return sendJSON(res, 201, asV1(stored.obj));
      }
      throw errors.methodNotAllowed(req.method, 'horizontalpodautoscalers');
    }
    const status = info.subresource === 'status' ? 'status' : undefined;
    switch (req.method) {
      case 'GET':
        return sendJSON(res, 200, asV1((await registry.get(rt, ns, name)).obj));
      case 'PUT': {
        const current = (await registry.get(rt, ns, name)).obj as unknown as HpaV2;
        const v2 = toV2(decodeV1(parseBody(req)), current);
        const { stored, created } = await registry.update(rt, ns, name, asStored(v2), ctx, status);
        return sendJSON(res, created ? 201 : 200, asV1(stored.obj));
      }
      case 'PATCH': {
        const kind = patchKind(mediaType(req));
        const patch = parsePatch(kind, rawText(req));
        const stored = await registry.guaranteedUpdate(
          rt,
          ns,
          name,
          (copy) => {
            const patched = applyPatch(kind, asV1(copy), patch, 'HorizontalPodAutoscaler');
            return asStored(toV2(decodeV1(patched), copy as unknown as HpaV2));
          },
          ctx,
          status,
        );
        return sendJSON(res, 200, asV1(stored.obj));
      }
      case 'DELETE': {
        const r = await registry.delete(rt, ns, name, deleteOptions(req), ctx);
        return sendJSON(res, 200, r.removed ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'autoscaling', kind: 'horizontalpodautoscalers', uid: r.object.obj.metadata.uid } } : asV1(r.object.obj));
      }
      default:
        throw errors.methodNotAllowed(req.method, 'horizontalpodautoscalers');
    }
  };
}
