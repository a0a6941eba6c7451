// kubectl's JSONPath templates on plain data (the get tests cover them end to end).
import { JsonPath, compileJsonPath, executeJsonPath, goJson, goValue, relaxedJsonPath } from './jsonpath';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, spec: { n: 1, ok: true, ports: [{ p: 80 }, { p: 443 }] } },
    { metadata: { name: 'b' }, spec: { n: 2.5, ok: false, ports: [{ p: 8080 }] } },
  ],
};
const run = (t: string, data: unknown = list) => executeJsonPath(compileJsonPath(t), data);

describe('jsonpath', () => {
  it.each([
    ['{.items[*].metadata.name}', 'a b'],
    ['{.items[0].spec.ports[*].p}', '80 443'],
    ['{.items[0].spec.ports[-1:].p}', '443'],
    ['{.items[0].spec.ports[0:1].p}', '80'],
    ['{.items[0].spec.ports[1,0].p}', '443 80'],
    ['{.items[?(@.spec.ok==true)].metadata.name}', 'a'],
    ['{.items[?(@.spec.n>=2)].metadata.name}', 'b'],
    ['{.items[?(@.metadata.labels)].metadata.name}', 'a'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name']}", 'x'],
    ['{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', 'x'],
    ['{..p}', '80 443 8080'],
    ['{.items[1].spec}', '{"n":2.5,"ok":false,"ports":[{"p":8080}]}'],
    ['{.kind}: {range .items[*]}[{.metadata.name}]{end}', 'List: [a][b]'],
    ['{range .items[*]}{range .spec.ports[*]}{.p};{end}|{end}', '80;443;|8080;|'],
    ['{range .items[?(@.metadata.name=="zzz")]}{.x}{end}done', 'done'],
    ['plain text', 'plain text'],
    ["{'single'} {\"tab\\there\"}", 'single tab\there'],
  ])('%s → %j', (template, want) => {
    expect(run(template)).toBe(want);
  });

  it('parse and execution errors', () => {
    expect(() => compileJsonPath('{.a')).toThrow('error parsing jsonpath {.a, unclosed action');
    expect(() => compileJsonPath('{.a[x]}')).toThrow('error parsing jsonpath {.a[x]}, invalid array index x');
    expect(() => compileJsonPath('{.a}{foo}')).toThrow('unrecognized identifier foo');
    expect(() => run('{.items[0].spec.ports[5]}')).toThrow('array index out of bounds: index 5, length 2');
    expect(() => run('{.items[0].metadata[0]}')).toThrow('map[string]interface {} is not array or slice');
    expect(() => run('{.items[?(@.spec.n=="1")]}')).toThrow('incompatible types for comparison');
    expect(() => new JsonPath('{.nope}', false).execute({})).toThrow('nope is not found');
  });

  it('prints values as Go does', () => {
    expect(goJson({ b: '<&>', a: [1, null] })).toBe('{"a":[1,null],"b":"\\u003c\\u0026\\u003e"}');
    expect(goValue({ b: [1, 'x'], a: { c: null } })).toBe('map[a:map[c:<nil>] b:[1 x]]');
    expect(relaxedJsonPath('metadata.name')).toBe('{.metadata.name}');
    expect(relaxedJsonPath('{.metadata.name}')).toBe('{.metadata.name}');
    expect(() => relaxedJsonPath('{a}{b}')).toThrow("unexpected path string, expected a 'name1.name2'");
  });
});
