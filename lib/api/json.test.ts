import { deepEqual, goValueEqual, semanticEqual, semanticJson, sortKeysDeep, stableJson } from './json';

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

describe('goValueEqual', () => {
  test('a member left out equals one holding Go\'s zero value, at any depth', () => {
    const built = { containerStatuses: [{ name: 'c', ready: true, state: { running: { startedAt: 't' } } }] };
    const stored = { containerStatuses: [{ name: 'c', state: { running: { startedAt: 't' } }, lastState: {}, ready: true, restartCount: 0, image: '', imageID: '' }], currentMetrics: null };
    expect(deepEqual(built, stored)).toBe(false);
    expect(goValueEqual(built, stored)).toBe(true);
    expect(goValueEqual(stored, built)).toBe(true);
    expect(goValueEqual({ a: { b: { c: false } } }, {})).toBe(true);
  });
  test('a value set on one side only, or different, is a difference', () => {
    expect(goValueEqual({ imageID: 'x' }, {})).toBe(false);
    expect(goValueEqual({}, { lastState: { terminated: { exitCode: 1 } } })).toBe(false);
    expect(goValueEqual({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(goValueEqual({ a: 'x' }, { a: 'y' })).toBe(false);
    expect(goValueEqual([{ a: 1 }], [{ a: 1, b: '' }])).toBe(true);
  });
});
