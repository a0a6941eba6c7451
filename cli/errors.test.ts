// How verbs report errors: kubectl's lines for apiserver Status errors and for the rest.
import { ApiError } from '../lib/client/client';
import { describeError } from './errors';

describe('errors', () => {
  it('formats apiserver errors as kubectl does', () => {
    expect(describeError(new ApiError(404, { kind: 'Status', reason: 'NotFound', message: 'pods "x" not found', code: 404 }))).toBe(
      'Error from server (NotFound): pods "x" not found',
    );
    expect(describeError(new Error('boom'))).toBe('error: boom');
  });
});
