// The three patch types Kubernetes accepts (JSON patch, JSON merge patch, strategic merge patch);
// server-side apply and anything else is 415.
import * as jsonPatch from 'fast-json-patch';
import { strategicMergePatch } from '../strategic-merge';
import { ApiStatusError, errors } from '../errors';
import { isPlainObject } from '../registry/objects';
import type { Request } from 'express';
import { parseJSON, rawText } from './request';
import { duplicateFieldsAt } from '../../lib/api/json-duplicates';
import { goPrint, jsonPatchProblems, noteStrict } from '../../lib/api/strict-decoding';
import type { FieldValidation } from '../registry/registry';
import { goStringCompare } from '../registry/field-order';
import { goJSONText } from '../storage/types';

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
 * A patch request's body, parsed once, as the function that patches one object with it: strict
 * decoding's notes (strictPatchNoter) are taken on the object before and made on the result.
 */
export function requestPatcher(req: Request, kind: PatchKind, fieldValidation: FieldValidation | undefined): (original: unknown, objectKind: string) => unknown {
  const text = rawText(req);
  const patch = parsePatch(kind, text);
  const noteStrict = strictPatchNoter(kind, text ?? '', patch, fieldValidation);
  return (original, objectKind) => {
    const noted = noteStrict(original);
    const patched = applyPatch(kind, original, patch, objectKind);
    if (isPlainObject(patched)) noted(patched);
    return patched;
  };
}

/**
 * What strict decoding makes of a patch (kube's patch handler, unless fieldValidation=Ignore): the
 * patch's own repeated fields (a JSON patch's unknown or repeated operation fields), then the patched
 * object's unknown fields; under Strict a 422 naming them. Returns what to call with each object about
 * to be patched; what that returns, called with the patched object, notes them for its write to report
 * (a no-op under Ignore).
 */
export function strictPatchNoter(kind: PatchKind, text: string, patch: unknown, fieldValidation: FieldValidation | undefined): (original: unknown) => (patched: unknown) => void {
  if (fieldValidation === 'Ignore') return () => () => undefined;
  const duplicates = duplicateFieldsAt(text);
  const problems = kind === 'json' ? jsonPatchProblems(patch, text, duplicates) : duplicates.map((d) => `duplicate field "${d.path}"`);
  return (original) => {
    // What the 422's value needs of the object before the patch changes it in place.
    const objects = kind === 'merge' ? objectsUnder(original, patch) : undefined;
    return (patched) => {
      if (patched === null || typeof patched !== 'object') return;
      // kube shows the patched object's JSON as its patch library wrote it, or for a strategic merge patch the patch as Go prints a map.
      const value = (): string => (kind === 'strategic' ? goPrint(patch) : goJSON(kind === 'merge' ? mergePatchedAsKube(patched, patch, objects) : jsonPatchedAsKube(patched, patch)));
      noteStrict(patched, { kind: 'patch', problems, value });
    };
  };
}

// kube applies JSON and merge patches to the object's JSON (in its encoder's order) with
// gopkg.in/evanphx/json-patch.v4, which decodes only what the patch reaches: every object it decodes
// is a Go map, written back with its keys sorted, and everything else keeps its bytes. So the patched
// object kube shows has the root and each object the patch walked through sorted, the rest in kube's order.

type Json = Record<string, unknown>;
const isJsonObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** For each field a merge patch sets to an object: whether the original held an object there (and below). */
interface ObjectsUnder {
  [field: string]: ObjectsUnder | false;
}

function objectsUnder(original: unknown, patch: unknown): ObjectsUnder {
  const out: ObjectsUnder = {};
  if (!isJsonObject(original) || !isJsonObject(patch)) return out;
  for (const [k, v] of Object.entries(patch)) out[k] = isJsonObject(original[k]) ? objectsUnder(original[k], v) : false;
  return out;
}

function sortedKeys(o: Json): Json {
  const out: Json = {};
  for (const k of Object.keys(o).sort(goStringCompare)) out[k] = o[k];
  return out;
}

/** A value decoded all the way (objects sorted, at every depth). */
function decodedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodedDeep);
  if (!isJsonObject(v)) return v;
  const out: Json = {};
  for (const k of Object.keys(v).sort(goStringCompare)) out[k] = decodedDeep(v[k]);
  return out;
}

/**
 * evanphx's MergePatch: a field the patch sets over an object of the original merges into it (that
 * object decoded); a field set where the original had no object is the patch's value, decoded all the
 * way to drop its nulls; a non-object set over an object is the patch's bytes as sent.
 */
function mergePatchedAsKube(patched: unknown, patch: unknown, objects: ObjectsUnder | undefined): unknown {
  if (!isJsonObject(patched)) return patched;
  const out = sortedKeys(patched);
  if (!isJsonObject(patch)) return out;
  for (const k of Object.keys(out)) {
    if (!(k in patch)) continue;
    const under = objects?.[k];
    if (under === undefined || under === false) out[k] = decodedDeep(out[k]);
    else if (isJsonObject(patch[k])) out[k] = mergePatchedAsKube(out[k], patch[k], under);
  }
  return out;
}

/** evanphx's Patch.Apply: the root and every container on an operation's path (or `from`) decoded. */
function jsonPatchedAsKube(patched: unknown, patch: unknown): unknown {
  const decoded = new Set<string>(['']);
  for (const op of Array.isArray(patch) ? patch : []) {
    if (!isJsonObject(op)) continue;
    for (const p of [op.path, op.from]) {
      if (typeof p !== 'string') continue;
      const parts = p.split('/').slice(1);
      for (let i = 1; i < parts.length; i++) decoded.add(`/${parts.slice(0, i).join('/')}`);
    }
  }
  const walk = (v: unknown, at: string): unknown => {
    if (!decoded.has(at)) return v;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, `${at}/${i}`));
    if (!isJsonObject(v)) return v;
    const out: Json = {};
    for (const k of Object.keys(v).sort(goStringCompare)) out[k] = walk(v[k], `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    return out;
  };
  return walk(patched, '');
}

/** JSON as Go's json.Marshal writes it: compact, with <, >, &, U+2028 and U+2029 escaped. */
export function goJSON(v: unknown): string {
  return goJSONText(v);
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
