import type { ConfigMap, Pod } from 'kubernetes-types/core/v1';
import { ApiError, type KubeClient } from '../lib/client/client';
import type { ResourceType } from '../lib/api/resources';
import { ApiPodData } from './pod-data';

/** A client whose GETs wait until released, counting them by path. */
function slowClient(objects: Record<string, ConfigMap>) {
  const gets: string[] = [];
  const waiting: Array<() => void> = [];
  const client = {
    get<T>(r: ResourceType, namespace: string | undefined, name: string): Promise<T> {
      const key = `${r.resource}/${namespace}/${name}`;
      gets.push(key);
      return new Promise<T>((resolve, reject) =>
        waiting.push(() => {
          const obj = objects[key];
          if (obj) resolve(JSON.parse(JSON.stringify(obj)) as T);
          else reject(new ApiError(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${name} not found` }));
        }),
      );
    },
  } as unknown as KubeClient;
  const release = () => waiting.splice(0).forEach((w) => w());
  return { client, gets, release };
}

function podReading(name: string, configMap: string): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: name },
    spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', configMap: { name: configMap } }] },
  };
}

test('pods reading one ConfigMap at the same time share one GET; a later read sends its own', async () => {
  const c = slowClient({ 'configmaps/ns/root-ca': { data: { 'ca.crt': 'PEM' } } });
  const data = new ApiPodData(c.client);
  const reads = [data.podData(podReading('a', 'root-ca')), data.podData(podReading('b', 'root-ca')), data.podData(podReading('c', 'other'))];
  await Promise.resolve();
  expect(c.gets).toEqual(['configmaps/ns/root-ca', 'configmaps/ns/other']);
  c.release();
  const [a, b, other] = await Promise.all(reads);
  expect(a.configMaps['root-ca']).toEqual({ 'ca.crt': 'PEM' });
  expect(b.configMaps['root-ca']).toEqual({ 'ca.crt': 'PEM' });
  expect(a.configMaps['root-ca']).not.toBe(b.configMaps['root-ca']); // each pod gets a copy of its own
  expect(other.configMaps).toEqual({}); // missing: left out
  const later = data.podData(podReading('d', 'root-ca'));
  await Promise.resolve();
  expect(c.gets).toEqual(['configmaps/ns/root-ca', 'configmaps/ns/other', 'configmaps/ns/root-ca']);
  c.release();
  expect((await later).configMaps['root-ca']).toEqual({ 'ca.crt': 'PEM' });
});
