// The three patch types Kubernetes accepts (JSON patch, JSON merge patch, strategic merge patch);
// server-side apply and anything else is 415.
import * as jsonPatch from 'fast-json-patch';
import { strategicMergePatch } from '../strategic-merge';
import { ApiStatusError, errors } from '../errors';
import { isPlainObject } from '../registry/objects';
import { parseJSON } from './request';
import { duplicateFieldsAt } from '../../lib/api/json-duplicates';
import { goPrint, jsonPatchProblems, noteStrict } from '../../lib/api/strict-decoding';
import type { FieldValidation } from '../registry/registry';

// json-merge-patch ships no types: its one function we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mergePatchLib = require('json-merge-patch') as { apply(target: unknown, patch: unknown): unknown };

export type PatchKind = 'json' | 'merge' | 'strategic';

/** The patch type of a Content-Type; `strategic` false: the kind takes no strategic merge patch (custom resources). */
export function patchKind(contentType: string, strategic = true): PatchKind {
  if (!strategic && contentType === 'application/strategic-merge-patch+json') {
    throw new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
  }
  switch (contentType) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    default:
      throw errors.unsupportedMediaType(contentType);
  }
}

/** Parses a patch body of a kind; malformed → 400. */
export function parsePatch(kind: PatchKind, text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') throw errors.badRequest('the patch body is empty');
  const patch = parseJSON(text);
  if (kind === 'json') {
    if (!Array.isArray(patch)) throw errors.badRequest('the JSON patch must be an array of operations');
    const err = jsonPatch.validate(patch as jsonPatch.Operation[]);
    if (err) throw errors.badRequest(`invalid JSON patch: ${err.message.split('\n')[0]}`);
  } else if (!isPlainObject(patch)) {
    throw errors.badRequest(`the ${kind === 'merge' ? 'merge' : 'strategic merge'} patch must be a JSON object`);
  }
  return patch;
}

/**
 * What strict decoding makes of a patch (kube's patch handler, unless fieldValidation=Ignore): the
 * patch's own repeated fields (a JSON patch's unknown or repeated operation fields), then the patched
 * object's unknown fields; under Strict a 422 naming them. Returns what to call on each patched object
 * so that its write reports them (a no-op under Ignore).
 */
export function strictPatchNoter(kind: PatchKind, text: string, patch: unknown, fieldValidation: FieldValidation | undefined): (patched: unknown) => void {
  if (fieldValidation === 'Ignore') return () => undefined;
  const duplicates = duplicateFieldsAt(text);
  const problems = kind === 'json' ? jsonPatchProblems(patch, text, duplicates) : duplicates.map((d) => `duplicate field "${d.path}"`);
  return (patched) => {
    if (patched === null || typeof patched !== 'object') return;
    // kube shows the patched object's JSON, or for a strategic merge patch the patch as Go prints a map.
    noteStrict(patched, { kind: 'patch', problems, value: () => (kind === 'strategic' ? goPrint(patch) : JSON.stringify(patched)) });
  };
}

function unprocessable(message: string): ApiStatusError {
  return new ApiStatusError(422, 'Invalid', message);
}

/** Applies a parsed patch to a private copy of the object; returns the patched document. */
export function applyPatch(kind: PatchKind, original: unknown, patch: unknown, objectKind: string): unknown {
  try {
    switch (kind) {
      case 'json':
        return jsonPatch.applyPatch(original, patch as jsonPatch.Operation[], true, true).newDocument;
      case 'merge':
        return mergePatchLib.apply(original, patch);
      case 'strategic':
        return strategicMergePatch(original, patch, objectKind);
    }
  } catch (err) {
    if (err instanceof ApiStatusError) throw err;
    throw unprocessable(`the patch could not be applied: ${(err as Error).message.split('\n')[0]}`);
  }
}
