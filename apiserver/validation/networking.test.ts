// networking.k8s.io/v1 validation against kube-apiserver's messages: Ingress, IngressClass, NetworkPolicy.
import { Resources } from '../../lib/api/resources';
import { validate } from '.';

type Rt = (typeof Resources)[keyof typeof Resources];
const messages = (rt: Rt, obj: object, old?: object) => validate(rt, obj, old).map((c) => `${c.field}: ${c.message}`);

const ing = (spec: object, annotations?: Record<string, string>) => ({ metadata: { name: 'web', namespace: 'ns', ...(annotations ? { annotations } : {}) }, spec });
const backend = (port: object = { number: 80 }, name = 'web') => ({ service: { name, port } });
const path = (p: object) => ing({ rules: [{ host: 'example.com', http: { paths: [p] } }] });

describe('Ingress', () => {
  it('accepts rules with hosts, wildcard hosts, every path type, TLS and a default backend', () => {
    expect(
      messages(
        Resources.ingresses,
        ing({
          ingressClassName: 'nginx',
          defaultBackend: backend({ name: 'http' }),
          rules: [
            { host: 'example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend() }, { path: '/a/b', pathType: 'Exact', backend: backend() }] } },
            { host: '*.example.com', http: { paths: [{ pathType: 'ImplementationSpecific', backend: backend() }] } },
            { http: { paths: [{ path: '/x', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } } }] } },
          ],
          tls: [{ hosts: ['example.com', '*.example.com'], secretName: 'tls-cert' }],
        }),
      ),
    ).toEqual([]);
  });

  it('needs rules or a default backend', () => {
    expect(messages(Resources.ingresses, ing({}))).toEqual(['spec: Invalid value: null: either `defaultBackend` or `rules` must be specified']);
  });

  it('checks hosts: DNS names, not IP addresses; wildcards only as the first label', () => {
    const host = (h: string) => messages(Resources.ingresses, ing({ rules: [{ host: h }] }));
    expect(host('10.0.0.1')).toContain('spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address');
    expect(host('a.*.com')[0]).toMatch(/^spec.rules\[0\].host: Invalid value: "a.\*.com": a wildcard DNS-1123 subdomain must start with '\*.'/);
    expect(host('Example.com')[0]).toMatch(/a lowercase RFC 1123 subdomain/);
  });

  it('checks paths by their type', () => {
    expect(messages(Resources.ingresses, path({ path: '/', backend: backend() }))).toEqual(['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']);
    expect(messages(Resources.ingresses, path({ path: 'a', pathType: 'Prefix', backend: backend() }))).toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "a": must be an absolute path']);
    expect(messages(Resources.ingresses, path({ path: '/a//b/..', pathType: 'Exact', backend: backend() }))).toEqual([
      'spec.rules[0].http.paths[0].path: Invalid value: "/a//b/..": must not contain \'//\'',
      'spec.rules[0].http.paths[0].path: Invalid value: "/a//b/..": cannot end with \'/..\'',
    ]);
    expect(messages(Resources.ingresses, path({ path: '/', pathType: 'Regex', backend: backend() }))).toEqual([
      'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
    ]);
    expect(messages(Resources.ingresses, ing({ rules: [{ http: { paths: [] } }] }))).toEqual(['spec.rules[0].http.paths: Required value']);
  });

  it('checks backends: one of service and resource, a port by name or number', () => {
    const b = (x: object) => messages(Resources.ingresses, ing({ defaultBackend: x }));
    expect(b({})).toEqual(['spec.defaultBackend: Invalid value: "": resource or service backend is required']);
    expect(b({ ...backend(), resource: { kind: 'K', name: 'n' } })).toEqual(['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends']);
    expect(b(backend({}))).toEqual(['spec.defaultBackend: Required value: port name or number is required']);
    expect(b(backend({ name: 'http', number: 80 }))).toEqual(['spec.defaultBackend: Invalid value: "": cannot set both port name & port number']);
    expect(b(backend({ number: 70000 }))).toEqual(['spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive']);
    expect(b(backend({ number: 80 }, '1web'))[0]).toMatch(/^spec.defaultBackend.service.name: Invalid value: "1web": a DNS-1035 label/);
    expect(b({ resource: { name: 'n' } })).toEqual(['spec.defaultBackend.resource.kind: Required value']);
  });

  it('on create, the deprecated class annotation must match ingressClassName', () => {
    const both = ing({ ingressClassName: 'a', defaultBackend: backend() }, { 'kubernetes.io/ingress.class': 'b' });
    expect(messages(Resources.ingresses, both)).toEqual(['annotations.kubernetes.io/ingress.class: Invalid value: "b": must match `ingressClassName` when both are specified']);
    expect(messages(Resources.ingresses, both, both)).toEqual([]);
  });

  it("checks the status's load-balancer addresses", () => {
    const withStatus = { ...ing({ defaultBackend: backend() }), status: { loadBalancer: { ingress: [{ ip: '10.0.0.300' }, { hostname: '10.0.0.1' }] } } };
    expect(messages(Resources.ingresses, withStatus)).toEqual([
      'status.loadBalancer.ingress[0].ip: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ]);
  });
});

describe('IngressClass', () => {
  const ic = (spec: object) => ({ metadata: { name: 'nginx' }, spec });
  it('needs a domain-prefixed controller, immutable', () => {
    expect(messages(Resources.ingressclasses, ic({ controller: 'k8s.io/ingress-nginx' }))).toEqual([]);
    expect(messages(Resources.ingressclasses, ic({}))).toEqual(['spec.controller: Required value']);
    expect(messages(Resources.ingressclasses, ic({ controller: 'nginx' }))).toEqual(['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(messages(Resources.ingressclasses, ic({ controller: 'example.com/b' }), ic({ controller: 'example.com/a' }))).toEqual(['spec.controller: Invalid value: "example.com/b": field is immutable']);
  });
  it('checks parameters and their scope', () => {
    const params = (p: object) => messages(Resources.ingressclasses, ic({ controller: 'example.com/c', parameters: { kind: 'Params', name: 'p', ...p } }));
    expect(params({ scope: 'Cluster' })).toEqual([]);
    expect(params({ scope: 'Namespace', namespace: 'ns' })).toEqual([]);
    expect(params({})).toEqual(['spec.parameters.scope: Required value']);
    expect(params({ scope: 'Namespace' })).toEqual(["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
    expect(params({ scope: 'Cluster', namespace: 'ns' })).toEqual(["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
    expect(params({ scope: 'Node' })).toEqual(['spec.parameters.scope: Unsupported value: "Node": supported values: "Cluster", "Namespace"']);
  });
});

describe('NetworkPolicy', () => {
  const np = (spec: object) => ({ metadata: { name: 'deny', namespace: 'ns' }, spec: { podSelector: {}, ...spec } });
  it('accepts peers and ports as kube does', () => {
    expect(
      messages(
        Resources.networkpolicies,
        np({
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } }, namespaceSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 80 }, { port: 'http', protocol: 'UDP' }, { port: 8000, endPort: 9000 }] }],
          egress: [{ to: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] }],
          policyTypes: ['Ingress', 'Egress'],
        }),
      ),
    ).toEqual([]);
  });
  it('checks ports', () => {
    const port = (p: object) => messages(Resources.networkpolicies, np({ ingress: [{ ports: [p] }] }));
    expect(port({ port: 0 })).toEqual(['spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']);
    expect(port({ port: 90, endPort: 80 })).toEqual(['spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`']);
    expect(port({ port: 'http', endPort: 80 })).toEqual(['spec.ingress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is non-numeric']);
    expect(port({ endPort: 80 })).toEqual(['spec.ingress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is not specified']);
    expect(port({ port: 80, protocol: 'ICMP' })).toEqual(['spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"']);
  });
  it('checks peers and IP blocks', () => {
    const peer = (p: object) => messages(Resources.networkpolicies, np({ egress: [{ to: [p] }] }));
    expect(peer({})).toEqual(['spec.egress[0].to[0]: Required value: must specify a peer']);
    expect(peer({ podSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } })).toEqual(['spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer']);
    expect(peer({ ipBlock: { cidr: '' } })).toEqual(['spec.egress[0].to[0].ipBlock.cidr: Required value']);
    expect(peer({ ipBlock: { cidr: '10.0.0.0' } })).toEqual(['spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
    expect(peer({ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/16'] } })).toEqual([
      'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      'spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
    ]);
  });
  it('checks policyTypes', () => {
    expect(messages(Resources.networkpolicies, np({ policyTypes: ['Ingress', 'Sideways'] }))).toEqual(['spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"']);
    expect(messages(Resources.networkpolicies, np({ policyTypes: ['Ingress', 'Egress', 'Ingress'] }))).toEqual(['spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes']);
  });
});
