// Server-side apply: PATCH with application/apply-patch+yaml. The body is the manager's whole intent
// for the object (YAML or JSON); it is merged into the live object by apiserver/fieldmanager (conflicts,
// force, shared ownership, removal of fields no longer applied), or creates the object when there is
// none, then written through the registry like any update (defaults, admission, validation, dryRun).
import { groupVersion } from '../../../lib/api/resources';
import { errors } from '../../errors';
import { applyConfiguration } from '../../fieldmanager/managed-fields';
import { isPlainObject } from '../../registry/objects';
import type { WriteContext } from '../../registry/registry';
import type { KObj } from '../../storage/types';
import { parseYAMLWithDuplicates, qBool, qs, rawText, sendObject } from '../request';
import type { ObjectRequest } from '.';

export const ApplyPatchMediaType = 'application/apply-patch+yaml';

export async function serveApply({ req, res, registry, rt, namespace, name, subresource }: ObjectRequest, ctx: WriteContext): Promise<void> {
  const manager = qs(req, 'fieldManager');
  if (!manager) throw errors.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const force = qBool(req, 'force');
  const text = rawText(req);
  if (text === undefined || text.trim() === '') throw errors.badRequest('the apply configuration is empty');
  const { doc: config, duplicates } = parseYAMLWithDuplicates(text);
  // kube reads the apply configuration leniently (the last of repeated keys wins), then, after merging
  // it — conflicts come first — reports the repetitions go-yaml's strict decoding finds: a 400 under
  // fieldValidation=Strict, one warning per key under Warn (the default), nothing under Ignore.
  const reportDuplicates = (): void => {
    if (!duplicates.length || ctx.fieldValidation === 'Ignore') return;
    const lines = duplicates.map((d) => d.message);
    if (ctx.fieldValidation === 'Strict') throw errors.badRequest(`error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    for (const l of lines) if (!ctx.warnings?.includes(l)) ctx.warnings?.push(l);
  };
  if (!isPlainObject(config)) throw errors.badRequest('the apply configuration must be an object');
  const gv = groupVersion(rt);
  if (config.apiVersion !== gv || config.kind !== rt.kind) {
    throw errors.badRequest(`the apply configuration's apiVersion and kind (${String(config.apiVersion)}, ${String(config.kind)}) must be ${gv}, ${rt.kind}`);
  }
  const md = isPlainObject(config.metadata) ? config.metadata : (config.metadata = {});
  if (md.name !== undefined && md.name !== name) throw errors.badRequest(`the name of the object (${String(md.name)}) does not match the name on the URL (${name})`);
  md.name = name;
  if (rt.namespaced && md.namespace !== undefined && md.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (md.managedFields !== undefined) throw errors.badRequest('metadata.managedFields must be nil in an apply configuration');
  const scope = subresource === 'status' || subresource === 'approval' ? subresource : undefined;
  const applyCtx: WriteContext = { ...ctx, fieldManager: manager };

  const existing = await registry.get(rt, namespace, name).catch((err: unknown) => {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  });
  if (!existing) {
    if (scope) throw errors.notFound(rt, name);
    const { object, managedFields } = applyConfiguration(rt, undefined, structuredClone(config) as KObj, manager, force);
    reportDuplicates();
    const stored = await registry.create(rt, namespace, object, { ...applyCtx, appliedManagedFields: managedFields });
    return sendObject(req, res, rt, 201, stored);
  }
  const stored = await registry.guaranteedUpdate(
    rt,
    namespace,
    name,
    (copy) => {
      const { object, managedFields } = applyConfiguration(rt, copy, structuredClone(config) as KObj, manager, force, scope);
      reportDuplicates();
      applyCtx.appliedManagedFields = managedFields;
      return object;
    },
    applyCtx,
    scope,
  );
  return sendObject(req, res, rt, 200, stored);
}
