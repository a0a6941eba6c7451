// The HTTP side of Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf): request bodies
// of every built-in kind decoded into the JSON object the rest of the server handles, and answers
// (objects, lists, watch events) encoded in it when the request's Accept header puts it first. JSON stays
// the default. The messages and their conversion live in apiserver/protobuf/codec.ts; a kind without a
// message (a custom resource) is refused with 415 as a body and answered in JSON.
import type { Request } from 'express';
import { ApiStatusError } from '../errors';
import { decodeObject, encodeObject, hasProtobufKind, MAGIC, ProtobufKindError, ProtobufMediaType } from '../protobuf/codec';

export { ProtobufMediaType };
export const ProtobufWatchMediaType = `${ProtobufMediaType};stream=watch`;

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ApiStatusError(400, 'BadRequest', 'provided object is not a Kubernetes protobuf message (no k8s\\0 prefix)');
  try {
    return decodeObject(body);
  } catch (err) {
    if (err instanceof ProtobufKindError) {
      throw new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (no protobuf message for ${err.apiVersion}/${err.kind})`);
    }
    throw new ApiStatusError(400, 'BadRequest', `unable to decode the protobuf body: ${(err as Error).message}`);
  }
}

/**
 * True when the Accept header prefers protobuf: the first media type it names that the server serves
 * (protobuf, JSON, a wildcard) is protobuf, q-values respected as kube-apiserver's negotiation does.
 */
export function wantsProtobuf(req: Request): boolean {
  const accept = req.headers.accept;
  if (!accept || !accept.includes(ProtobufMediaType)) return false;
  let best: { type: string; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (params.some((p) => p.startsWith('as='))) continue; // a Table or another conversion: JSON here
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!(q > 0)) continue;
    if (type !== ProtobufMediaType && type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    if (!best || q > best.q) best = { type, q };
  }
  return best?.type === ProtobufMediaType;
}

/** The object in protobuf, or undefined when its kind has no message (then it goes as JSON). */
export function protobufBody(obj: Record<string, unknown>): Buffer | undefined {
  const apiVersion = String(obj.apiVersion ?? '');
  const kind = String(obj.kind ?? '');
  if (!hasProtobufKind(apiVersion, kind)) return undefined;
  return encodeObject(obj, apiVersion, kind);
}
