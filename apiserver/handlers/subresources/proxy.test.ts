// The pure parts of the proxy subresources: kube's SplitSchemeNamePort and IsProxyableIP, a Service's
// candidate endpoints, the split of the request path, and the rewriting of the target's URLs.
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { ApiStatusError } from '../../errors';
import { isProxyableIP, rewriteHtml, rewriteTargetURL, serviceCandidates, splitProxyPath, splitSchemeNamePort } from './proxy';

test.each([
  ['web', { scheme: '', name: 'web', port: '' }],
  ['web:8080', { scheme: '', name: 'web', port: '8080' }],
  ['web:http', { scheme: '', name: 'web', port: 'http' }],
  ['https:web:443', { scheme: 'https', name: 'web', port: '443' }],
  ['http:web:', { scheme: 'http', name: 'web', port: '' }],
  ['ftp:web:21', undefined],
  [':80', undefined],
  ['a:b:c:d', undefined],
  ['', undefined],
])('splitSchemeNamePort(%j)', (id, want) => {
  expect(splitSchemeNamePort(id)).toEqual(want);
});

test.each([
  ['10.88.0.5', true],
  ['192.0.2.2', true],
  ['8.8.8.8', true],
  ['127.0.0.1', false],
  ['127.1.2.3', false],
  ['0.0.0.0', false],
  ['169.254.169.254', false],
  ['224.0.0.1', false],
  ['255.255.255.255', false],
  ['2001:db8::1', true],
  ['::1', false],
  ['::', false],
  ['fe80::1', false],
  ['ff02::1', false],
  ['::ffff:127.0.0.1', false],
  ['::ffff:10.0.0.1', true],
  ['localhost', false],
  ['', false],
])('isProxyableIP(%j) is %s', (ip, want) => {
  expect(isProxyableIP(ip)).toBe(want);
});

describe('serviceCandidates', () => {
  const svc: Service = { metadata: { name: 's' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] } };
  const eps: Endpoints = {
    subsets: [
      { addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'a' } }], notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] },
      { addresses: [{ ip: '10.0.0.2' }], ports: [{ name: 'http', port: 8081 }] },
    ],
  };
  const status = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof ApiStatusError ? [e.code, e.message] : e;
    }
    return 'no error';
  };

  test('a port by name; by number, mapped to its name; ready addresses only', () => {
    expect(serviceCandidates(svc, eps, 'http')).toEqual([
      { ip: '10.0.0.1', port: 8080, pod: 'a' },
      { ip: '10.0.0.2', port: 8081 },
    ]);
    expect(serviceCandidates(svc, eps, '9090')).toEqual([{ ip: '10.0.0.1', port: 9100, pod: 'a' }]);
  });

  test('the errors kube gives', () => {
    expect(status(() => serviceCandidates(svc, eps, '81'))).toEqual([503, 'no service port 81 found for service "s"']);
    expect(status(() => serviceCandidates(svc, eps, ''))).toEqual([503, 'no endpoints available for service "s"']);
    expect(status(() => serviceCandidates(svc, undefined, 'http'))).toEqual([503, 'no endpoints available for service "s"']);
    expect(status(() => serviceCandidates({ metadata: { name: 'x' }, spec: { type: 'ExternalName' } }, eps, ''))).toEqual([400, 'service "x" is of type ExternalName and cannot be proxied']);
  });

  test("the unnamed port of a one-port Service", () => {
    const one: Endpoints = { subsets: [{ addresses: [{ ip: '10.0.0.3' }], ports: [{ port: 80 }] }] };
    expect(serviceCandidates({ metadata: { name: 'o' }, spec: { ports: [{ port: 80 }] } }, one, '')).toEqual([{ ip: '10.0.0.3', port: 80 }]);
    expect(serviceCandidates({ metadata: { name: 'o' }, spec: { ports: [{ port: 80 }] } }, one, '80')).toEqual([{ ip: '10.0.0.3', port: 80 }]);
  });
});

test.each([
  ['/api/v1/namespaces/d/pods/p:80/proxy/a/b?x=1', { prefix: '/api/v1/namespaces/d/pods/p:80/proxy', rest: '/a/b', query: '?x=1' }],
  ['/api/v1/namespaces/d/services/https:s:443/proxy', { prefix: '/api/v1/namespaces/d/services/https:s:443/proxy', rest: '', query: '' }],
  ['/api/v1/nodes/n/proxy/', { prefix: '/api/v1/nodes/n/proxy', rest: '/', query: '' }],
  ['/api/v1/nodes/n/proxy/proxy/x', { prefix: '/api/v1/nodes/n/proxy', rest: '/proxy/x', query: '' }],
])('splitProxyPath(%j)', (url, want) => {
  expect(splitProxyPath(url)).toEqual(want);
});

test.each([
  ['/docs/', '/P/docs/'],
  ['//cdn.example/x', '//cdn.example/x'],
  ['rel/x', 'rel/x'],
  ['http://10.0.0.1:80/a?b', '/P/a?b'],
  ['HTTPS://10.0.0.1:80', '/P/'],
  ['//10.0.0.1:80/c', '/P/c'],
  ['http://10.0.0.1:81/a', 'http://10.0.0.1:81/a'],
  ['https://example.org/', 'https://example.org/'],
])('rewriteTargetURL(%j)', (url, want) => {
  expect(rewriteTargetURL(url, '/P', '10.0.0.1:80')).toBe(want);
});

test('rewriteHtml: link attributes in tags, any quoting; text and other attributes left', () => {
  const html = `<a class="/x" HREF = "/a">/b</a><form action='/f'><img src=/i.png alt="/alt"><p>href="/text"</p>`;
  expect(rewriteHtml(html, '/P', 'h:1')).toBe(`<a class="/x" HREF = "/P/a">/b</a><form action='/P/f'><img src=/P/i.png alt="/alt"><p>href="/text"</p>`);
});
