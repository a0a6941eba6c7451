import { deepEqual, semanticEqual, semanticJson, sortKeysDeep, stableJson } from './json';

describe('stable JSON', () => {
  it('ignores key order and undefined members', () => {
    expect(stableJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(stableJson(undefined)).toBe('null');
  });
  it('sortKeysDeep returns sorted copies', () => {
    const v = sortKeysDeep({ z: 1, a: [{ c: 1, b: 2 }] });
    expect(JSON.stringify(v)).toBe('{"a":[{"b":2,"c":1}],"z":1}');
  });
});

describe('equality', () => {
  it('deepEqual: key order ignored, undefined = missing, arrays ordered', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: {} }, { a: null })).toBe(false);
  });
  it('semanticEqual: empty maps and lists are the same as missing ones', () => {
    expect(semanticEqual({ a: 1, labels: {}, list: [] }, { a: 1 })).toBe(true);
    expect(semanticEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(semanticJson({ b: null, a: [] })).toBe('{}');
  });
});
