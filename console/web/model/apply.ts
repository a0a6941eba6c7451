// Apply YAML from the console, with the diff shown first. Each document becomes one request, the one
// kubectl makes: `kubectl create -f` (POST) for an object that does not exist, `kubectl patch --type
// strategic --patch-file` (PATCH) for one that does. The same request is first sent with dryRun=All:
// the server validates, defaults and admits it without storing anything, and the console diffs the
// live object against what the server answered — so the diff shows exactly what would change, and a
// bad document shows the API's own error before anything is written.
import { Api, ApiError, KubeObject } from './api';
import { KindName, KINDS, apiVersionOf, listPath, objectPath } from './kinds';
import { DiffLine, diffLines } from './diff';

export interface ApplyDocument {
  index: number;
  kind: KindName;
  namespace?: string;
  name: string;
  object: KubeObject;
}

export interface ApplyPreview {
  doc: ApplyDocument;
  /** 'create' when absent, 'patch' when it exists. */
  verb: 'create' | 'patch';
  live?: KubeObject;
  /** What the server answered to the dry run. */
  result?: KubeObject;
  diff: DiffLine[];
  error?: ApiError | Error;
}

/**
 * js-yaml, a third of the bundle, is set up on first use: the bundle carries it, but no page pays for
 * running its module code until the apply view needs it (esbuild turns the import into a lazy require).
 */
const jsYaml = () => import('js-yaml');

/** The documents of a YAML text (Lists unpacked); throws on YAML errors and unknown kinds. */
export async function parseDocuments(text: string, defaultNamespace = 'default'): Promise<ApplyDocument[]> {
  const { loadAll } = await jsYaml();
  const raw = loadAll(text).filter((d) => d !== null && d !== undefined);
  const objects: KubeObject[] = [];
  for (const d of raw) {
    if (typeof d !== 'object' || Array.isArray(d)) throw new Error('each YAML document must be an object');
    const o = d as KubeObject & { items?: KubeObject[] };
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) objects.push(...o.items);
    else objects.push(o);
  }
  if (!objects.length) throw new Error('no objects in the YAML');
  return objects.map((object, index) => {
    const entry = (Object.entries(KINDS) as Array<[KindName, (typeof KINDS)[KindName]]>).find(([k, r]) => apiVersionOf(k) === object.apiVersion && r.kind === object.kind);
    if (!entry) throw new Error(`document ${index + 1}: the console cannot apply ${object.apiVersion ?? '(no apiVersion)'} ${object.kind ?? '(no kind)'}`);
    const [kind, r] = entry;
    const name = object.metadata?.name;
    if (!name) throw new Error(`document ${index + 1}: metadata.name is required`);
    const namespace = r.namespaced ? (object.metadata?.namespace ?? defaultNamespace) : undefined;
    return { index, kind, namespace, name, object: { ...object, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } } };
  });
}

/** The object as the diff shows it: server bookkeeping that changes on every write left out. */
export async function forDiff(o: KubeObject | undefined): Promise<string> {
  if (!o) return '';
  const { dump } = await jsYaml();
  const { managedFields: _m, resourceVersion: _r, ...metadata } = o.metadata ?? {};
  return dump({ ...o, metadata }, { noRefs: true, lineWidth: -1 });
}

function request(doc: ApplyDocument, exists: boolean, dryRun: boolean) {
  const query = { fieldManager: 'steer-console', ...(dryRun ? { dryRun: 'All' } : {}) };
  return exists
    ? { method: 'PATCH', path: objectPath(doc.kind, doc.namespace, doc.name), contentType: 'application/strategic-merge-patch+json', body: doc.object, query }
    : { method: 'POST', path: listPath(doc.kind, doc.namespace), body: doc.object, query };
}

async function getLive(api: Api, doc: ApplyDocument): Promise<KubeObject | undefined> {
  try {
    return await api.request<KubeObject>({ path: objectPath(doc.kind, doc.namespace, doc.name) });
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** Dry-runs every document and diffs it against the live object. */
export async function previewApply(api: Api, docs: ApplyDocument[]): Promise<ApplyPreview[]> {
  const out: ApplyPreview[] = [];
  for (const doc of docs) {
    let live: KubeObject | undefined;
    try {
      live = await getLive(api, doc);
      const result = await api.request<KubeObject>(request(doc, !!live, true));
      out.push({ doc, verb: live ? 'patch' : 'create', live, result, diff: diffLines(await forDiff(live), await forDiff(result)) });
    } catch (err) {
      out.push({ doc, verb: live ? 'patch' : 'create', live, diff: [], error: err as Error });
    }
  }
  return out;
}

/** Sends the previewed requests for real, in order; stops at the first error. */
export async function runApply(api: Api, previews: ApplyPreview[]): Promise<Array<{ doc: ApplyDocument; outcome: string; error?: Error }>> {
  const results: Array<{ doc: ApplyDocument; outcome: string; error?: Error }> = [];
  for (const p of previews) {
    const label = `${KINDS[p.doc.kind].singular}/${p.doc.name}`;
    try {
      await api.request(request(p.doc, p.verb === 'patch', false));
      results.push({ doc: p.doc, outcome: `${label} ${p.verb === 'create' ? 'created' : 'patched'}` });
    } catch (err) {
      results.push({ doc: p.doc, outcome: `${label} failed`, error: err as Error });
      break;
    }
  }
  return results;
}
