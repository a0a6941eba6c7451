// What the kubelet's configMap, secret, downwardAPI and projected volume plugins write: the files of one
// volume as a payload for the atomic writer. configMap and secret volumes hold their keys (or the listed
// items); downwardAPI items hold pod fields (metadata.name, namespace, uid, labels, annotations) and
// container resources; projected volumes combine serviceAccountToken (a pod-bound token from the
// TokenRequest API), configMap, secret and downwardAPI sources. Modes: the item's, else the volume's
// defaultMode, else 0644; a token is 0600 when the pod has an fsGroup or a common runAsUser (then owned by
// it); an fsGroup owns every file and adds group read, as SetVolumeOwnership does for read-only volumes.
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, PodSecurityContext, ServiceAccountTokenProjection, Volume } from 'kubernetes-types/core/v1';
import { fieldRefValue, resourceFieldValue, type PodData } from '../podspec';
import type { FileProjection, Payload } from './atomic-writer';
import type { ServiceAccountTokenManager, TokenRequestSpec } from './tokens';

export const DEFAULT_MODE = 0o644;
/** The default of serviceAccountToken.expirationSeconds. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

export interface ProjectionContext {
  pod: Pod;
  data: PodData;
  /** Tokens for serviceAccountToken sources (none: such a volume cannot be set up). */
  tokens?: ServiceAccountTokenManager;
}

/** kubelet's FsUserFrom: the runAsUser every (init) container runs as, if they all agree. */
export function fsUserOf(pod: Pod): number | undefined {
  const podSC: PodSecurityContext | undefined = pod.spec?.securityContext;
  let user: number | undefined;
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const u = c.securityContext?.runAsUser ?? podSC?.runAsUser;
    if (u === undefined || u === null || (user !== undefined && user !== u)) return undefined;
    user = u;
  }
  return user;
}

/** A TokenRequest for one of the pod's projected tokens: whose service account, and the spec. */
export interface PodTokenRequest {
  namespace: string;
  serviceAccount: string;
  spec: TokenRequestSpec;
}

/** The TokenRequest a projected serviceAccountToken source of the pod needs. */
function tokenRequest(pod: Pod, tp: ServiceAccountTokenProjection): PodTokenRequest {
  const md = pod.metadata ?? {};
  return {
    namespace: md.namespace ?? 'default',
    serviceAccount: pod.spec?.serviceAccountName || 'default',
    spec: {
      audiences: tp.audience ? [tp.audience] : [],
      expirationSeconds: tp.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: md.name ?? '', uid: md.uid ?? '' },
    },
  };
}

/** Every TokenRequest the pod's projected volumes need (the agent asks for them early; see agent.ts). */
export function podTokenRequests(pod: Pod): PodTokenRequest[] {
  const out: PodTokenRequest[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    for (const s of v.projected?.sources ?? []) if (s.serviceAccountToken) out.push(tokenRequest(pod, s.serviceAccountToken));
  }
  return out;
}

function keysPayload(kind: 'configmap' | 'secret', data: Record<string, string>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean | undefined): Payload {
  const out: Payload = {};
  if (items && items.length) {
    for (const item of items) {
      const v = data[item.key];
      if (v === undefined) {
        if (optional) continue;
        throw new Error(kind === 'configmap' ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}`);
      }
      out[item.path] = { data: v, mode: item.mode ?? defaultMode };
    }
  } else for (const [k, v] of Object.entries(data)) out[k] = { data: v, mode: defaultMode };
  return out;
}

/** Go's %q of a label or annotation value, which JSON's string syntax matches for printable text. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

function downwardValue(pod: Pod, item: DownwardAPIVolumeFile): string {
  if (item.fieldRef) {
    const f = item.fieldRef.fieldPath;
    if (f === 'metadata.labels') return formatMap(pod.metadata?.labels);
    if (f === 'metadata.annotations') return formatMap(pod.metadata?.annotations);
    return fieldRefValue(pod, f, { podIP: '', hostIP: '', nodeName: pod.spec?.nodeName ?? '', data: { configMaps: {}, secrets: {} } });
  }
  if (item.resourceFieldRef) {
    const name = item.resourceFieldRef.containerName;
    const c: Container | undefined = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
    if (!c) throw new Error(`container "${name ?? ''}" not found in pod for the downward API item ${item.path}`);
    return resourceFieldValue(c, item.resourceFieldRef.resource, item.resourceFieldRef.divisor);
  }
  throw new Error(`downward API item ${item.path} names no field`);
}

function downwardPayload(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, defaultMode: number): Payload {
  const out: Payload = {};
  for (const item of items ?? []) out[item.path] = { data: downwardValue(pod, item), mode: item.mode ?? defaultMode };
  return out;
}

function withFsGroup(payload: Payload, fsGroup: number | undefined): Payload {
  if (fsGroup === undefined || fsGroup === null) return payload;
  const out: Payload = {};
  for (const [p, f] of Object.entries(payload)) out[p] = { ...f, gid: fsGroup, mode: (f.mode ?? DEFAULT_MODE) | 0o440 };
  return out;
}

/** The files of a configMap, secret, downwardAPI or projected volume; undefined for other kinds. */
export async function volumePayload(v: Volume, ctx: ProjectionContext): Promise<Payload | undefined> {
  const { pod, data } = ctx;
  const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
  if (v.configMap) {
    const d = data.configMaps[v.configMap.name ?? ''];
    if (!d) {
      if (v.configMap.optional) return {};
      throw new Error(`configmap "${v.configMap.name}" not found`);
    }
    return withFsGroup(keysPayload('configmap', d, v.configMap.items, v.configMap.defaultMode ?? DEFAULT_MODE, v.configMap.optional), fsGroup);
  }
  if (v.secret) {
    const d = data.secrets[v.secret.secretName ?? ''];
    if (!d) {
      if (v.secret.optional) return {};
      throw new Error(`secret "${v.secret.secretName}" not found`);
    }
    return withFsGroup(keysPayload('secret', d, v.secret.items, v.secret.defaultMode ?? DEFAULT_MODE, v.secret.optional), fsGroup);
  }
  if (v.downwardAPI) return withFsGroup(downwardPayload(pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_MODE), fsGroup);
  if (v.projected) {
    const defaultMode = v.projected.defaultMode ?? DEFAULT_MODE;
    const out: Payload = {};
    for (const s of v.projected.sources ?? []) {
      if (s.serviceAccountToken) {
        const tp = s.serviceAccountToken;
        if (!ctx.tokens) throw new Error('cannot project a service account token: the node agent has no token source');
        const r = tokenRequest(pod, tp);
        const status = await ctx.tokens.getServiceAccountToken(r.namespace, r.serviceAccount, r.spec);
        const fsUser = fsUserOf(pod);
        const f: FileProjection = { data: status.token, mode: fsUser !== undefined || fsGroup !== undefined ? 0o600 : defaultMode };
        if (fsUser !== undefined) f.uid = fsUser;
        out[tp.path] = f;
      } else if (s.configMap) {
        const d = data.configMaps[s.configMap.name ?? ''];
        if (!d) {
          if (s.configMap.optional) continue;
          throw new Error(`configmap "${s.configMap.name}" not found`);
        }
        Object.assign(out, keysPayload('configmap', d, s.configMap.items, defaultMode, s.configMap.optional));
      } else if (s.secret) {
        const d = data.secrets[s.secret.name ?? ''];
        if (!d) {
          if (s.secret.optional) continue;
          throw new Error(`secret "${s.secret.name}" not found`);
        }
        Object.assign(out, keysPayload('secret', d, s.secret.items, defaultMode, s.secret.optional));
      } else if (s.downwardAPI) Object.assign(out, downwardPayload(pod, s.downwardAPI.items, defaultMode));
      else throw new Error('unsupported projected volume source (steer projects serviceAccountToken, configMap, secret and downwardAPI)');
    }
    return withFsGroup(out, fsGroup);
  }
  return undefined;
}
