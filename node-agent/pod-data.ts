// The ConfigMaps and Secrets a pod's env and volumes read (kubelet's configmap and secret managers,
// without their caches for now): fetched from the API once per pod sync, Secret values decoded. A
// missing object is left out, since only resolveEnv and prepareVolume know whether the reference was
// optional; any other API error is thrown. Reads of the same object at the same time share one request:
// every running pod's volumes are refreshed each minute, and the pods of a namespace all read its
// kube-root-ca.crt, so a resync wave of 30 pods cost 30 GETs of one ConfigMap.
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret } from 'kubernetes-types/core/v1';
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { isNotFound, KubeClient } from '../lib/client/client';
import { Resources, type ResourceType } from '../lib/api/resources';
import { PodData, referencedData } from './podspec';

/** Where the pod actions get a pod's ConfigMaps and Secrets, and RuntimeClasses (unit tests pass fixed data). */
export interface PodDataSource {
  podData(pod: Pod): Promise<PodData>;
  /** The CRI handler of a RuntimeClass; throws when there is no such class (the sandbox is not created). */
  runtimeHandler(runtimeClassName: string): Promise<string>;
}

/** Reads them from the API, each referenced object once, all at the same time. */
export class ApiPodData implements PodDataSource {
  /** GETs under way by path: a read of the same object meanwhile joins it instead of sending another. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly client: KubeClient) {}

  /**
   * The object, read once for every caller that asks while the read is under way. A caller that joins
   * may see the object as it was when that read began, a few milliseconds before it asked (a kubelet's
   * watch-based cache lags the same way).
   */
  private get<T>(resource: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    const key = `${resource.resource}/${namespace ?? ''}/${name}`;
    let read = this.inFlight.get(key) as Promise<T> | undefined;
    if (!read) {
      read = this.client.get<T>(resource, namespace, name).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, read);
    }
    return read;
  }

  async runtimeHandler(runtimeClassName: string): Promise<string> {
    return (await this.get<RuntimeClass>(Resources.runtimeclasses, undefined, runtimeClassName)).handler;
  }

  async podData(pod: Pod): Promise<PodData> {
    const ns = pod.metadata?.namespace || 'default';
    const refs = referencedData(pod);
    const data: PodData = { configMaps: {}, secrets: {}, claims: {} };
    await Promise.all([
      ...refs.configMaps.map(async (name) => {
        try {
          const cm = await this.get<ConfigMap>(Resources.configmaps, ns, name);
          data.configMaps[name] = { ...(cm.data || {}) };
          for (const [k, v] of Object.entries(cm.binaryData || {})) data.configMaps[name]![k] = Buffer.from(v, 'base64').toString('utf8');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
      // Claims and the volumes they are bound to (the Node authorizer lets a node read those of its pods).
      ...refs.claims.map(async (name) => {
        try {
          const claim = await this.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, name);
          const volume = claim.spec?.volumeName && claim.status?.phase === 'Bound' ? await this.get<PersistentVolume>(Resources.persistentvolumes, undefined, claim.spec.volumeName) : undefined;
          data.claims![name] = { claim, volume };
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
      ...refs.secrets.map(async (name) => {
        try {
          const s = await this.get<Secret>(Resources.secrets, ns, name);
          const d: Record<string, string> = {};
          for (const [k, v] of Object.entries(s.data || {})) d[k] = Buffer.from(v, 'base64').toString('utf8');
          for (const [k, v] of Object.entries(s.stringData || {})) d[k] = v;
          data.secrets[name] = d;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    ]);
    return data;
  }
}
