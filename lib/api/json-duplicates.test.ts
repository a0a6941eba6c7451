import { duplicateFields } from './json-duplicates';

describe('duplicateFields', () => {
  test.each<[string, string, string[]]>([
    ['none', '{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}', []],
    ['top level', '{"a":1,"b":2,"a":3}', ['a']],
    ['nested, with its path', '{"spec":{"paused":true,"replicas":1,"paused":false}}', ['spec.paused']],
    ['in an array element', '{"spec":{"containers":[{"name":"a"},{"name":"b","image":"x","image":"y"}]}}', ['spec.containers[1].image']],
    ['arrays of arrays', '{"a":[[1,2],[{"k":1,"k":2}]]}', ['a[1][0].k']],
    ['each path once', '{"a":1,"a":2,"a":3}', ['a']],
    ['keys equal once unescaped', '{"a\\u0062":1,"ab":2}', ['ab']],
    ['quotes, braces and commas inside strings', '{"s":"\\"},{\\"s\\":1,","s":"x\\\\","t":"{[,:]}"}', ['s']],
    ['same key in sibling objects is no duplicate', '{"x":{"k":1},"y":{"k":2}}', []],
    ['whitespace', ' { "a" : 1 ,\n "a" : [ ] } ', ['a']],
    ['not an object', '[1,"a",{"b":1}]', []],
  ])('%s', (_what, text, want) => {
    JSON.parse(text); // every case is valid JSON
    expect(duplicateFields(text)).toEqual(want);
  });
});
