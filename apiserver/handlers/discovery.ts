// Discovery documents (legacy JSON form, which kubectl 1.20–1.32 and client-node use) built from the
// server's kind catalog (built-in resources and those of its CustomResourceDefinitions, which appear
// and go at run time), plus /version and the health probes. The OpenAPI documents are apiserver/openapi/.
import type { Express, Response } from 'express';
import { groupVersion } from '../../lib/api/resources';
import type { KindCatalog } from '../kinds/catalog';
import { errors } from '../errors';
import { sendJSON } from './request';
import { subresourceDiscovery } from './subresources';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiResourceList(kinds: KindCatalog, gv: string): unknown {
  const resources: unknown[] = [];
  for (const rt of kinds.discoverable().filter((r) => groupVersion(r) === gv)) {
    resources.push({
      name: rt.resource,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: rt.verbs ?? VERBS,
      ...(rt.shortNames.length ? { shortNames: rt.shortNames } : {}),
      ...(rt.categories.length ? { categories: rt.categories } : {}),
      storageVersionHash: Buffer.from(`${gv}/${rt.kind}`).toString('base64').slice(0, 11),
    });
    for (const sub of rt.subresources) {
      const info = subresourceDiscovery(rt, sub);
      if (!info) continue;
      resources.push({
        name: `${rt.resource}/${sub}`,
        singularName: '',
        namespaced: rt.namespaced,
        ...(info.group ? { group: info.group, version: info.version } : {}),
        kind: info.kind,
        verbs: info.verbs,
      });
    }
  }
  if (gv === 'v1') resources.push({ name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

function apiGroup(name: string, versions: string[]): unknown {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export const VERSION_INFO = {
  major: '1',
  minor: '20',
  gitVersion: 'v1.20.2',
  gitCommit: 'faecb196815e248d3ecfb03c680a4507229c2a56',
  gitTreeState: 'clean',
  buildDate: '2021-01-13T13:20:00Z',
  goVersion: 'go1.15.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function installDiscovery(app: Express, kinds: KindCatalog, serverAddress: () => string): void {
  const cached = (res: Response, body: unknown) => sendJSON(res, 200, body);
  app.get('/version', (_req, res) => cached(res, VERSION_INFO));
  app.get('/api', (_req, res) =>
    cached(res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverAddress() }] }),
  );
  app.get('/api/v1', (_req, res) => cached(res, apiResourceList(kinds, 'v1')));
  app.get('/apis', (_req, res) =>
    cached(res, { kind: 'APIGroupList', apiVersion: 'v1', groups: [...kinds.groups()].map(([name, versions]) => apiGroup(name, versions)) }),
  );
  // Groups come and go with CRDs: looked up per request.
  app.get('/apis/:group', (req, res) => {
    const versions = kinds.groups().get(String(req.params.group));
    if (!versions) throw errors.pathNotFound();
    cached(res, { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(String(req.params.group), versions) as object) });
  });
  app.get('/apis/:group/:version', (req, res) => {
    const gv = `${String(req.params.group)}/${String(req.params.version)}`;
    if (!kinds.hasGroupVersion(gv)) throw errors.pathNotFound();
    cached(res, apiResourceList(kinds, gv));
  });
}
