// Discovery documents (legacy JSON form, which kubectl 1.20–1.32 and client-node use) built from the
// shared resource table, plus /version and the empty /openapi/v2 that lets kubectl apply skip
// client-side validation (kubectl-protocol.md §0.1).
import type { Express, Response } from 'express';
import { groupVersion, ResourceType, servedResources } from '../../lib/api/resources';
import { sendJSON } from './request';
import { subresourceDiscovery } from './subresources';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiResourceList(gv: string): unknown {
  const resources: unknown[] = [];
  for (const rt of servedResources.filter((r) => groupVersion(r) === gv)) {
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

export function groups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rt of servedResources) {
    if (!rt.group) continue;
    const versions = out.get(rt.group) ?? [];
    if (!versions.includes(rt.version)) versions.push(rt.version);
    out.set(rt.group, versions);
  }
  return out;
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

export function installDiscovery(app: Express, serverAddress: () => string): void {
  const cached = (res: Response, body: unknown) => sendJSON(res, 200, body);
  app.get('/version', (_req, res) => cached(res, VERSION_INFO));
  app.get('/api', (_req, res) =>
    cached(res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverAddress() }] }),
  );
  app.get('/api/v1', (_req, res) => cached(res, apiResourceList('v1')));
  app.get('/apis', (_req, res) =>
    cached(res, { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups()].map(([name, versions]) => apiGroup(name, versions)) }),
  );
  for (const [name, versions] of groups()) {
    app.get(`/apis/${name}`, (_req, res) => cached(res, { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(name, versions) as object) }));
    for (const v of versions) app.get(`/apis/${name}/${v}`, (_req, res) => cached(res, apiResourceList(`${name}/${v}`)));
  }
  // An empty protobuf document: kubectl then skips client-side validation instead of failing.
  app.get('/openapi/v2', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
    res.end();
  });
  for (const probe of ['/healthz', '/livez', '/readyz']) {
    app.get(probe, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
    });
  }
}
