// The order and words of strict decoding reports (strict-decoding.ts), without a server.
import { duplicateFieldsAt } from './json-duplicates';
import { compareFieldPaths, goPrint, jsonPatchProblems, strictReport } from './strict-decoding';

test('paths sort as a walk of sorted keys meets them', () => {
  const paths = ['spec.unknown1', 'spec.template.spec.containers[10].x', 'metadata.z', 'spec.template.spec.containers[2].x', 'spec.a-b', 'spec.a.b', 'spec'];
  expect([...paths].sort(compareFieldPaths)).toEqual(['metadata.z', 'spec', 'spec.a.b', 'spec.a-b', 'spec.template.spec.containers[2].x', 'spec.template.spec.containers[10].x', 'spec.unknown1']);
});

describe('strictReport', () => {
  const text = '{"metadata":{"name":"a","name":"b","bogus":1},"spec":{"x":{"k":1,"k":2},"paused":true,"paused":false,"y":1}}';

  it('JSON: unknown and repeated fields in text order, nothing under an unknown field', () => {
    expect(strictReport(['metadata.bogus', 'spec.x', 'spec.y'], { kind: 'json', text, duplicates: duplicateFieldsAt(text) }).errors).toEqual([
      'duplicate field "metadata.name"',
      'unknown field "metadata.bogus"',
      'unknown field "spec.x"',
      'duplicate field "spec.paused"',
      'unknown field "spec.y"',
    ]);
  });

  it('YAML: the repeated keys as one error (one warning each), then unknown fields sorted', () => {
    const report = strictReport(['spec.z', 'metadata.bogus'], {
      kind: 'yaml',
      duplicates: [
        { line: 3, message: 'line 3: key "a" already set in map' },
        { line: 9, message: 'line 9: key "b" already set in map' },
      ],
    });
    expect(report.errors).toEqual(['yaml: unmarshal errors:\n  line 3: key "a" already set in map\n  line 9: key "b" already set in map', 'unknown field "metadata.bogus"', 'unknown field "spec.z"']);
    expect(report.warnings).toEqual(['line 3: key "a" already set in map', 'line 9: key "b" already set in map', 'unknown field "metadata.bogus"', 'unknown field "spec.z"']);
  });

  it('a patch: its own problems first, then the unknown fields sorted', () => {
    expect(strictReport(['spec.z', 'spec.b'], { kind: 'patch', problems: ['duplicate field "spec.q"'], value: () => '' }).errors).toEqual(['duplicate field "spec.q"', 'unknown field "spec.b"', 'unknown field "spec.z"']);
  });

  it('nothing noted: unknown fields as pruning found them', () => {
    expect(strictReport(['b', 'a'], undefined).warnings).toEqual(['unknown field "b"', 'unknown field "a"']);
  });
});

test('a JSON patch: unknown and repeated operation fields in text order', () => {
  const text = '[{"op":"add","path":"/a","path":"/b","value":1},{"op":"add","foo":1,"path":"/c","value":{"k":1,"k":2}}]';
  expect(jsonPatchProblems(JSON.parse(text), text, duplicateFieldsAt(text))).toEqual(['json patch duplicate field "[0].path"', 'json patch unknown field "[1].foo"', 'json patch duplicate field "[1].value.k"']);
});

test('goPrint prints as Go %+v prints a map[string]interface{}', () => {
  expect(goPrint({ spec: { b: [1, 'x', true], a: null, c: { z: 1.5 } } })).toBe('map[spec:map[a:<nil> b:[1 x true] c:map[z:1.5]]]');
});
