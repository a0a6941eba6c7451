import { checkIndexesFormat } from '../lib/api/job-indexes';
import { matchSuccessPolicy } from './job-success-policy';

const rules = (...r: Array<{ succeededIndexes?: string; succeededCount?: number }>) => ({ rules: r });

test.each<[string, ReturnType<typeof rules>, number[], string | undefined]>([
  ['every listed index succeeded', rules({ succeededIndexes: '0-2' }), [0, 1, 2, 5], 'Matched rules at index 0'],
  ['one listed index missing', rules({ succeededIndexes: '0-2' }), [0, 2, 5], undefined],
  ['succeededCount of the listed indexes', rules({ succeededIndexes: '0-4', succeededCount: 2 }), [1, 3, 7], 'Matched rules at index 0'],
  ['succeededCount counts only listed indexes', rules({ succeededIndexes: '0-4', succeededCount: 2 }), [1, 7, 8], undefined],
  ['succeededCount alone: of all indexes', rules({ succeededCount: 3 }), [4, 7, 9], 'Matched rules at index 0'],
  ['the first rule that holds is named', rules({ succeededIndexes: '9' }, { succeededCount: 1 }), [2], 'Matched rules at index 1'],
  ['indexes past completions are left out of a rule', rules({ succeededIndexes: '8-12' }), [8, 9], 'Matched rules at index 0'],
  ['a malformed list matches nothing', rules({ succeededIndexes: '3-1' }, { succeededIndexes: '1' }), [1, 2, 3], 'Matched rules at index 1'],
  ['nothing succeeded yet', rules({ succeededCount: 0 }), [], undefined],
])('%s', (_what, policy, succeeded, message) => {
  expect(matchSuccessPolicy(policy, 10, new Set(succeeded))).toBe(message);
});

test.each<[string, number, ReturnType<typeof checkIndexesFormat>]>([
  ['0,2-4,7', 10, { total: 5 }],
  ['', 10, { total: 0 }],
  ['1-2-3', 10, { error: `the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by '-'` }],
  ['1,x', 10, { error: 'cannot convert string to integer for index: "x"' }],
  ['1,10', 10, { error: 'too large index: "10"' }],
  ['3,2', 10, { error: 'non-increasing order, previous: 3, current: 2' }],
  ['4-4', 10, { error: 'non-increasing order, previous: 4, current: 4' }],
])('checkIndexesFormat(%j, %d)', (text, completions, want) => {
  expect(checkIndexesFormat(text, completions)).toEqual(want);
});
