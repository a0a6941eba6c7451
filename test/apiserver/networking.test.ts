// networking.k8s.io/v1 through both kubectls: IngressClasses, Ingresses (the DefaultIngressClass
// admission plugin, the status subresource, kubectl's columns) and NetworkPolicies (defaults, columns),
// and a 422 naming the field for a bad Ingress.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ingress, NetworkPolicy } from 'kubernetes-types/networking/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { kubectlBinaries, kubectlRunner } from '../helpers/kubectl';

let srv: TestApiServer;
let home: string;
beforeAll(async () => {
  srv = await startTestApiServer({ enableAdmissionPlugins: ['DefaultIngressClass'] });
  // The cluster's default class, which an Ingress without one gets.
  await srv.client.create(Resources.ingressclasses, undefined, {
    metadata: { name: 'default-nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    spec: { controller: 'k8s.io/ingress-nginx' },
  });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-networking-'));
});
afterAll(async () => {
  await srv?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

const manifest = (ns: string) => `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ${ns}-nginx
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb, scope: Cluster}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ${ns}}
spec:
  tls: [{hosts: [a.example.com], secretName: web-tls}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: b.example.com
    http:
      paths:
      - {path: /api, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
`;

describe.each(kubectlBinaries('net'))('$name', ({ bin, ns }) => {
  const kubectl = kubectlRunner(bin, () => srv.kubeconfigPath, () => home, ns);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  test('apply, defaults, the default class, the status and the columns', async () => {
    const file = path.join(home, `${ns}.yaml`);
    fs.writeFileSync(file, manifest(ns));
    expect(await ok('apply', '-f', file)).toBe(
      `namespace/${ns} created\ningressclass.networking.k8s.io/${ns}-nginx created\ningress.networking.k8s.io/web created\nnetworkpolicy.networking.k8s.io/db created\n`,
    );
    const ing = await srv.client.get<Ingress>(Resources.ingresses, ns, 'web');
    expect(ing.spec?.ingressClassName).toBe('default-nginx');
    expect(ing.metadata?.generation).toBe(1);
    const np = await srv.client.get<NetworkPolicy>(Resources.networkpolicies, ns, 'db');
    expect(np.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec?.ingress?.[0].ports).toEqual([{ protocol: 'TCP', port: 5432 }]);

    // The ingress controller's write: status only, through the subresource.
    await srv.client.update(Resources.ingresses, { ...ing, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } }, 'status');
    const rows = (await ok('get', 'ingress', '-n', ns)).split('\n');
    expect(rows[0]).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$/);
    expect(rows[1]).toMatch(new RegExp(`^web\\s+default-nginx\\s+a.example.com,b.example.com\\s+192.0.2.10\\s+80, 443\\s+\\d+s$`));
    expect(await ok('get', 'ingressclass', `${ns}-nginx`)).toMatch(
      new RegExp(`^NAME\\s+CONTROLLER\\s+PARAMETERS\\s+AGE\\n${ns}-nginx\\s+k8s.io/ingress-nginx\\s+IngressParameters.k8s.example.com/external-lb\\s+\\d+s\\n$`),
    );
    expect(await ok('get', 'netpol', '-n', ns)).toMatch(/^NAME\s+POD-SELECTOR\s+AGE\ndb\s+app=db\s+\d+s\n$/);
    // Re-applying the same manifest changes nothing. kubectl sends the NetworkPolicy's ingress rules again
    // (an atomic list, which differs from the live one by the defaulted protocol) and so says
    // "configured", as against kube-apiserver; the object comes out the same, with its version.
    const out = await ok('apply', '-f', file);
    expect(out).toMatch(/ingress.networking.k8s.io\/web unchanged\nnetworkpolicy.networking.k8s.io\/db (unchanged|configured)/);
    const again = await srv.client.get<NetworkPolicy>(Resources.networkpolicies, ns, 'db');
    expect(again.metadata?.resourceVersion).toBe(np.metadata?.resourceVersion);
    expect(again.metadata?.generation).toBe(1);
  });

  test('a bad Ingress is refused with the field named', async () => {
    const file = path.join(home, `${ns}-bad.yaml`);
    fs.writeFileSync(file, `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: ${ns}}\nspec:\n  rules:\n  - host: 10.0.0.1\n    http:\n      paths:\n      - {path: /, backend: {service: {name: web, port: {number: 80}}}}\n`);
    const r = await kubectl('apply', '-f', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Ingress "bad" is invalid');
    expect(r.stderr).toContain('spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address');
    expect(r.stderr).toContain('spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified');
  });
});
