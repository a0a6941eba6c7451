// The operations of the published OpenAPI: each served kind's collection, object and status paths with
// the verbs, parameters and extensions kube-apiserver publishes (x-kubernetes-action and the operation's
// x-kubernetes-group-version-kind). Clients read them to learn what the server accepts: kubectl 1.20's
// `diff` and `--dry-run=server` look for a `dryRun` parameter on the kind's PATCH before a server-side
// dry run; the current kubectl looks for `fieldValidation` before it leaves validation to the server.
// One description of the operations, written out as swagger 2.0 (v2) or OpenAPI 3.0 (v3).
import type { ResourceType } from '../../lib/api/resources';
import type { OpenApiSchema } from './models';

type ParamType = 'string' | 'boolean' | 'integer';

interface Param {
  name: string;
  in: 'query' | 'path' | 'body';
  description: string;
  type?: ParamType;
  uniqueItems?: boolean;
  required?: boolean;
}

interface Operation {
  action: string;
  description: string;
  operationId: string;
  params: Param[];
  consumes?: string[];
  /** HTTP code → description; those answering the kind carry its schema. */
  responses: Array<[code: string, description: string, withSchema: boolean]>;
}

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

interface PathItem {
  path: string;
  params: Param[];
  ops: Partial<Record<Method, Operation>>;
}

const q = (name: string, description: string, type: ParamType = 'string', uniqueItems = false): Param => ({ name, in: 'query', description, type, ...(uniqueItems ? { uniqueItems } : {}) });

// Descriptions in our own words; names and types as kube-apiserver's query parameters.
const P = {
  pretty: q('pretty', "If 'true', the output is pretty printed.", 'string', true),
  dryRun: q('dryRun', 'When present, the request is processed in full (defaulting, validation, admission) but nothing is persisted. The only valid value is All.', 'string', true),
  fieldManager: q('fieldManager', 'The name of the actor making the change, recorded in managedFields. Required for apply patches, optional otherwise.', 'string', true),
  fieldValidation: q('fieldValidation', 'How unknown and duplicate fields in the body are handled: Ignore (dropped silently), Warn (dropped, with a Warning header each; the default) or Strict (the request fails with BadRequest).', 'string', true),
  force: q('force', 'Apply patches only: take ownership of conflicting fields from their other managers instead of failing with a conflict.', 'boolean', true),
  gracePeriodSeconds: q('gracePeriodSeconds', 'Seconds before the object is deleted; zero deletes at once. Defaults to the kind\'s own grace period.', 'integer', true),
  orphanDependents: q('orphanDependents', 'Deprecated, use propagationPolicy: whether dependents are orphaned.', 'boolean', true),
  propagationPolicy: q('propagationPolicy', 'Whether and how garbage collection deletes dependents: Orphan, Background or Foreground.', 'string', true),
  labelSelector: q('labelSelector', 'Restricts the objects returned by their labels.', 'string', true),
  fieldSelector: q('fieldSelector', 'Restricts the objects returned by their fields.', 'string', true),
  limit: q('limit', 'The most objects returned by one list call; the rest is fetched with continue.', 'integer', true),
  continue: q('continue', 'The token of a previous list call that had more results.', 'string', true),
  resourceVersion: q('resourceVersion', 'Which version of the resources a list or watch starts from.', 'string', true),
  resourceVersionMatch: q('resourceVersionMatch', 'How resourceVersion applies to a list call: NotOlderThan or Exact.', 'string', true),
  timeoutSeconds: q('timeoutSeconds', 'How long a list or watch call may last.', 'integer', true),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream of events.', 'boolean', true),
  allowWatchBookmarks: q('allowWatchBookmarks', 'Asks a watch for BOOKMARK events.', 'boolean', true),
  sendInitialEvents: q('sendInitialEvents', 'Asks a watch for the current state as synthetic events first.', 'boolean', true),
};
const pathParam = (name: string, description: string): Param => ({ name, in: 'path', description, type: 'string', required: true, uniqueItems: true });
const body: Param = { name: 'body', in: 'body', description: '', required: true };

const listParams = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const writeParams = [body, P.dryRun, P.fieldManager, P.fieldValidation];
const patchParams = [body, P.dryRun, P.fieldManager, P.fieldValidation, P.force];
const deleteParams = [body, P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** kube's operation id part of a group-version: CoreV1, AppsV1, RbacAuthorizationV1, StableExampleComV1. */
function gvId(rt: ResourceType): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const group = rt.group ? rt.group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(cap).join('') : 'Core';
  return `${group}${cap(rt.version)}`;
}

/** The paths of one served kind. */
export function pathItemsOf(rt: ResourceType): PathItem[] {
  const base = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  const scope = rt.namespaced ? 'Namespaced' : '';
  const id = gvId(rt);
  const collection = `${base}${rt.namespaced ? '/namespaces/{namespace}' : ''}/${rt.resource}`;
  const nsParam = rt.namespaced ? [pathParam('namespace', 'The object name and auth scope, such as for teams and projects.')] : [];
  const nameParam = pathParam('name', `The name of the ${rt.kind}.`);
  const ok: Operation['responses'] = [['200', 'OK', true], ['401', 'Unauthorized', false]];
  const created: Operation['responses'] = [['200', 'OK', true], ['201', 'Created', true], ['401', 'Unauthorized', false]];
  const op = (action: string, verbId: string, description: string, params: Param[], responses: Operation['responses'], consumes?: string[]): Operation => ({
    action,
    description,
    operationId: verbId === 'deleteCollection' ? `delete${id}Collection${scope}${rt.kind}` : `${verbId}${id}${scope}${rt.kind}`,
    params,
    responses,
    ...(consumes ? { consumes } : {}),
  });
  const items: PathItem[] = [
    {
      path: collection,
      params: [...nsParam, P.pretty],
      ops: {
        get: op('list', 'list', `list or watch objects of kind ${rt.kind}`, listParams, ok),
        post: op('post', 'create', `create a ${rt.kind}`, writeParams, [...created, ['202', 'Accepted', true]]),
        delete: op('deletecollection', 'deleteCollection', `delete collection of ${rt.kind}`, [...deleteParams, ...listParams.filter((p) => p !== P.watch && p !== P.allowWatchBookmarks)], ok),
      },
    },
    {
      path: `${collection}/{name}`,
      params: [nameParam, ...nsParam, P.pretty],
      ops: {
        get: op('get', 'read', `read the specified ${rt.kind}`, [], ok),
        put: op('put', 'replace', `replace the specified ${rt.kind}`, writeParams, created),
        patch: op('patch', 'patch', `partially update the specified ${rt.kind}`, patchParams, created, patchTypes),
        delete: op('delete', 'delete', `delete a ${rt.kind}`, deleteParams, [['200', 'OK', false], ['202', 'Accepted', false], ['401', 'Unauthorized', false]]),
      },
    },
  ];
  if (rt.subresources.includes('status')) {
    items.push({
      path: `${collection}/{name}/status`,
      params: [nameParam, ...nsParam, P.pretty],
      ops: {
        get: op('get', 'read', `read status of the specified ${rt.kind}`, [], ok),
        put: op('put', 'replace', `replace status of the specified ${rt.kind}`, writeParams, created),
        patch: op('patch', 'patch', `partially update status of the specified ${rt.kind}`, patchParams, created, patchTypes),
      },
    });
    // The ids of status operations end in Status, as kube's.
    for (const o of Object.values(items[items.length - 1].ops)) o!.operationId += 'Status';
  }
  if (rt.namespaced) {
    items.push({ path: `${base}/${rt.resource}`, params: [P.pretty], ops: { get: op('list', 'list', `list or watch objects of kind ${rt.kind}`, listParams, ok) } });
    items[items.length - 1].ops.get!.operationId = `list${id}${rt.kind}ForAllNamespaces`;
  }
  return items;
}

const gvkOf = (rt: ResourceType) => ({ group: rt.group, kind: rt.kind, version: rt.version });

function v2Param(p: Param, ref: string | undefined): Record<string, unknown> {
  if (p.in === 'body') return { name: 'body', in: 'body', required: true, schema: ref ? { $ref: ref } : { type: 'object' } };
  return { ...(p.uniqueItems ? { uniqueItems: true } : {}), type: p.type, description: p.description, name: p.name, in: p.in, ...(p.required ? { required: true } : {}) };
}

function v3Param(p: Param): Record<string, unknown> {
  return { name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), schema: { type: p.type, ...(p.uniqueItems ? { uniqueItems: true } : {}) } };
}

/** The swagger 2.0 paths of the kinds; `refOf` names each kind's definition (undefined: none). */
export function v2Paths(kinds: readonly ResourceType[], refOf: (rt: ResourceType) => string | undefined): Record<string, OpenApiSchema> {
  const out: Record<string, OpenApiSchema> = {};
  for (const rt of kinds) {
    const ref = refOf(rt);
    const tag = `${gvId(rt).replace(/V\d.*$/, '').toLowerCase()}_${rt.version}`;
    for (const item of pathItemsOf(rt)) {
      const entry: Record<string, unknown> = {};
      for (const [method, o] of Object.entries(item.ops) as Array<[Method, Operation]>) {
        entry[method] = {
          ...(o.consumes ? { consumes: o.consumes } : { consumes: ['*/*'] }),
          description: o.description,
          operationId: o.operationId,
          ...(o.params.length ? { parameters: o.params.map((p) => v2Param(p, ref)) } : {}),
          produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
          responses: Object.fromEntries(o.responses.map(([code, description, withSchema]) => [code, { description, ...(withSchema && ref ? { schema: { $ref: ref } } : {}) }])),
          schemes: ['https'],
          tags: [tag],
          'x-kubernetes-action': o.action,
          'x-kubernetes-group-version-kind': gvkOf(rt),
        };
      }
      entry.parameters = item.params.map((p) => v2Param(p, ref));
      out[item.path] = entry;
    }
  }
  return out;
}

/** The OpenAPI 3.0 paths of the kinds; `refOf` names each kind's schema (undefined: none). */
export function v3Paths(kinds: readonly ResourceType[], refOf: (rt: ResourceType) => string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const rt of kinds) {
    const ref = refOf(rt);
    const schema = ref ? { $ref: ref } : { type: 'object' };
    for (const item of pathItemsOf(rt)) {
      const entry: Record<string, unknown> = {};
      for (const [method, o] of Object.entries(item.ops) as Array<[Method, Operation]>) {
        const hasBody = o.params.includes(body);
        entry[method] = {
          description: o.description,
          operationId: o.operationId,
          ...(o.params.some((p) => p !== body) ? { parameters: o.params.filter((p) => p !== body).map(v3Param) } : {}),
          ...(hasBody ? { requestBody: { content: Object.fromEntries((o.consumes ?? ['*/*']).map((ct) => [ct, { schema }])), required: true } } : {}),
          responses: Object.fromEntries(
            o.responses.map(([code, description, withSchema]) => [code, { description, ...(withSchema ? { content: { 'application/json': { schema }, 'application/yaml': { schema }, 'application/vnd.kubernetes.protobuf': { schema } } } : {}) }]),
          ),
          'x-kubernetes-action': o.action,
          'x-kubernetes-group-version-kind': gvkOf(rt),
        };
      }
      entry.parameters = item.params.map(v3Param);
      out[item.path] = entry;
    }
  }
  return out;
}
