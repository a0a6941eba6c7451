// The template hash every owner puts on what it creates (Kubernetes' controller.ComputeHash): the
// Deployment's pod-template-hash and the DaemonSet's controller-revision-hash. Pure, no I/O.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { semanticJson } from '../../lib/api/json';

/** 32-bit FNV-1a over the UTF-8 bytes of a string (the hash Kubernetes uses for template hashes). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// apimachinery's rand.SafeEncodeString alphabet: no vowels (no words) and no look-alike characters.
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/**
 * The pod-template-hash of a template: FNV-1a of its canonical form plus the collision count,
 * encoded like Kubernetes' controller.ComputeHash (decimal digits through the safe alphabet).
 */
export function computeTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let text = semanticJson(template ?? {});
  if (collisionCount !== undefined && collisionCount !== null) text += `#${collisionCount}`;
  return safeEncodeString(String(fnv32a(text)));
}
