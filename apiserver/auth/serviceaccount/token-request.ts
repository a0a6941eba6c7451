// The TokenRequest API (POST .../serviceaccounts/NAME/token, authentication.k8s.io/v1), as kube's
// pkg/registry/core/serviceaccount/storage/token.go answers it: the request is defaulted (audiences →
// the apiserver's, expirationSeconds → 3600) and validated (10 minutes to 2^32 seconds), goes through
// validating admission (NodeRestriction checks a node's requests here), is bound to the pod, secret or
// node it names (which must exist, with the uid given, and a pod must run as this service account),
// shortened to --service-account-max-token-expiration, and — for the kubelet's 3607 s pod tokens —
// extended to a year with warnafter. Nothing is stored; the answer carries status.token and
// status.expirationTimestamp.
import { Resources, type ResourceType } from '../../../lib/api/resources';
import { rfc3339 } from '../../../lib/api/time';
import { ApiStatusError, errors } from '../../errors';
import { isPlainObject, type Json } from '../../registry/objects';
import type { Registry, WriteContext } from '../../registry/registry';
import type { KObj } from '../../storage/types';
import { apiserverUser } from '../admission';
import type { AdmissionAttributes } from '../types';
import type { SigningKey } from './keys';
import {
  buildClaims,
  DEFAULT_TOKEN_SECONDS,
  MAX_TOKEN_SECONDS,
  MIN_TOKEN_SECONDS,
  signToken,
  WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
  type ObjectRef,
} from './tokens';

export interface TokenRequestConfig {
  signingKey: SigningKey;
  /** The issuer written into new tokens (the first --service-account-issuer). */
  issuer: string;
  /** The apiserver's audiences: the default of spec.audiences. */
  audiences: string[];
  /** --service-account-max-token-expiration in seconds (0: none). */
  maxExpirationSeconds: number;
  /** --service-account-extend-token-expiration: kubelet pod tokens (3607 s) last maxExtendedExpirationSeconds. */
  extendExpiration: boolean;
  maxExtendedExpirationSeconds: number;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

const GROUP = 'authentication.k8s.io';
const KIND = 'TokenRequest';

function invalid(name: string, field: string, value: unknown, message: string): ApiStatusError {
  const detail = `Invalid value: ${JSON.stringify(value)}: ${message}`;
  return new ApiStatusError(422, 'Invalid', `${KIND}.${GROUP} "${name}" is invalid: ${field}: ${detail}`, {
    name,
    group: GROUP,
    kind: KIND,
    causes: [{ reason: 'FieldValueInvalid', field, message: detail }],
  });
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The bound object of a request, as kind, group and name. */
interface BoundRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

function parseRequest(body: unknown): { md: Json; audiences: string[] | undefined; expirationSeconds: number; bound?: BoundRef } {
  if (!isPlainObject(body)) throw errors.badRequest("Object 'TokenRequest' is missing or is not a JSON object");
  if (body.kind !== undefined && body.kind !== KIND) throw errors.badRequest(`${String(body.kind)} in the request body does not match ${KIND}`);
  if (body.apiVersion !== undefined && body.apiVersion !== `${GROUP}/v1`) throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${GROUP}/v1)`);
  const md = isPlainObject(body.metadata) ? body.metadata : {};
  const spec = isPlainObject(body.spec) ? body.spec : {};
  let audiences: string[] | undefined;
  if (spec.audiences !== undefined && spec.audiences !== null) {
    if (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string')) throw errors.badRequest('spec.audiences must be a list of strings');
    audiences = spec.audiences as string[];
  }
  let expirationSeconds = DEFAULT_TOKEN_SECONDS;
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    if (typeof spec.expirationSeconds !== 'number' || !Number.isInteger(spec.expirationSeconds)) throw errors.badRequest('spec.expirationSeconds must be an integer');
    expirationSeconds = spec.expirationSeconds;
  }
  let bound: BoundRef | undefined;
  if (isPlainObject(spec.boundObjectRef)) {
    const r = spec.boundObjectRef;
    bound = { apiVersion: str(r.apiVersion), kind: str(r.kind), name: str(r.name), uid: str(r.uid) };
  }
  return { md, audiences, expirationSeconds, bound };
}

/** Answers a TokenRequest for the service account `name` in `namespace`. */
export async function createTokenRequest(registry: Registry, config: TokenRequestConfig, namespace: string, name: string, body: unknown, ctx: WriteContext): Promise<Json> {
  const req = parseRequest(body);
  if (req.md.name !== undefined && req.md.name !== '' && req.md.name !== name) throw invalid(name, 'metadata.name', req.md.name, 'must match the service account name if specified');
  if (req.md.namespace !== undefined && req.md.namespace !== '' && req.md.namespace !== namespace) throw invalid(name, 'metadata.namespace', req.md.namespace, 'must match the service account namespace if specified');
  const sa = (await registry.get(Resources.serviceaccounts, namespace, name)).obj;
  const saUID = String(sa.metadata.uid ?? '');
  const reqUID = str(req.md.uid);
  if (reqUID && reqUID !== saUID) {
    throw new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${KIND}.${GROUP} "${name}": the UID in the token request (${reqUID}) does not match the UID of the service account (${saUID})`, { name, group: GROUP, kind: KIND });
  }
  const audiences = req.audiences && req.audiences.length ? req.audiences : [...config.audiences];
  const now = config.now?.() ?? Date.now();
  const out: Json = {
    kind: KIND,
    apiVersion: `${GROUP}/v1`,
    metadata: { name, namespace, uid: saUID, creationTimestamp: rfc3339(now) },
    spec: {
      audiences,
      expirationSeconds: req.expirationSeconds,
      ...(req.bound ? { boundObjectRef: { kind: req.bound.kind, apiVersion: req.bound.apiVersion, name: req.bound.name, ...(req.bound.uid ? { uid: req.bound.uid } : {}) } } : {}),
    },
    status: { token: '', expirationTimestamp: null },
  };
  if (req.expirationSeconds < MIN_TOKEN_SECONDS) throw invalid('', 'spec.expirationSeconds', req.expirationSeconds, 'may not specify a duration less than 10 minutes');
  if (req.expirationSeconds > MAX_TOKEN_SECONDS) throw invalid('', 'spec.expirationSeconds', req.expirationSeconds, 'may not specify a duration larger than 2^32 seconds');

  // Validating admission sees the request as the token subresource's create (NodeRestriction).
  if (!registry.admission.empty) {
    const a: AdmissionAttributes = {
      operation: 'CREATE',
      rt: Resources.serviceaccounts,
      subresource: 'token',
      namespace,
      name,
      user: ctx.user ?? apiserverUser,
      object: structuredClone(out) as KObj,
      dryRun: !!ctx.dryRun,
      warnings: ctx.warnings ?? [],
      auditAnnotations: {},
    };
    await registry.admission.validate(a);
  }

  let pod: ObjectRef | undefined;
  let secret: ObjectRef | undefined;
  let node: ObjectRef | undefined;
  const ref = req.bound;
  if (ref) {
    const [group] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : [''];
    const lookup = async (rt: ResourceType, ns: string | undefined): Promise<KObj> => (await registry.get(rt, ns, ref.name)).obj;
    let obj: KObj;
    if (group === '' && ref.kind === 'Pod') {
      obj = await lookup(Resources.pods, namespace);
      const spec = isPlainObject(obj.spec) ? obj.spec : {};
      if (name !== spec.serviceAccountName) throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      pod = { name: ref.name, uid: String(obj.metadata.uid) };
      const nodeName = str(spec.nodeName);
      if (nodeName) {
        // The node's uid when the node is known; its name alone otherwise (as kube does).
        const n = await registry.storage.get('nodes', nodeName);
        node = { name: nodeName, uid: n ? String(n.obj.metadata.uid) : '' };
      }
    } else if (group === '' && ref.kind === 'Secret') {
      obj = await lookup(Resources.secrets, namespace);
      secret = { name: ref.name, uid: String(obj.metadata.uid) };
    } else if (group === '' && ref.kind === 'Node') {
      obj = await lookup(Resources.nodes, undefined);
      node = { name: ref.name, uid: String(obj.metadata.uid) };
    } else {
      // Go's GroupVersionKind.String(): "apps/v1, Kind=Deployment", "/v1, Kind=Foo" for the core group.
      const version = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[1] : ref.apiVersion;
      const gvk = `${group}/${version}, Kind=${ref.kind}`;
      throw errors.badRequest(`cannot bind token to object of type ${gvk}`);
    }
    if (ref.uid && ref.uid !== obj.metadata.uid) {
      throw new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${ref.kind} "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`, { name: ref.name, kind: ref.kind });
    }
  }

  let expirationSeconds = req.expirationSeconds;
  if (config.maxExpirationSeconds > 0 && expirationSeconds > config.maxExpirationSeconds) {
    ctx.warnings?.push(`requested expiration of ${expirationSeconds} seconds shortened to ${config.maxExpirationSeconds} seconds`);
    expirationSeconds = config.maxExpirationSeconds;
  }
  // The kubelet's pod tokens: valid for a year, reported as stale after the requested time.
  let exp = expirationSeconds;
  let warnAfter = 0;
  if (config.extendExpiration && pod && expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && audiences.every((a) => config.audiences.includes(a))) {
    warnAfter = expirationSeconds;
    exp = config.maxExtendedExpirationSeconds;
  }
  const claims = buildClaims({ issuer: config.issuer, namespace, serviceAccount: { name, uid: saUID }, pod, secret, node, audiences, expirationSeconds: exp, warnAfterSeconds: warnAfter, now });
  const token = await signToken(config.signingKey, claims);
  (out.spec as Json).expirationSeconds = expirationSeconds;
  out.status = { token, expirationTimestamp: rfc3339(now + expirationSeconds * 1000) };
  return out;
}
