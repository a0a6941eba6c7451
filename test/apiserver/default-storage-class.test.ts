// The DefaultStorageClass admission plugin on a running apiserver: a claim created without a class is
// stored with the default class once one exists; "" and a stated class are kept.
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const ns = 'default';
const claim = (name: string, storageClassName?: string): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(storageClassName !== undefined ? { storageClassName } : {}) },
});
const storageClass = (name: string, isDefault: boolean): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner: 'example.com/p',
});

describe('DefaultStorageClass admission on the apiserver', () => {
  let srv: TestApiServer;
  beforeAll(async () => {
    srv = await startTestApiServer({ enableAdmissionPlugins: ['DefaultStorageClass'] });
  });
  afterAll(async () => srv?.stop());

  it('leaves a claim classless while no class is the default', async () => {
    await srv.client.create(Resources.storageclasses, undefined, storageClass('slow', false));
    const c = await srv.client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, claim('before-default'));
    expect(c.spec?.storageClassName).toBeUndefined();
  });

  it('gives a claim without a class the default one, keeps "" and a stated class', async () => {
    await srv.client.create(Resources.storageclasses, undefined, storageClass('local-path', true));
    const dflt = await srv.client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, claim('no-class'));
    expect(dflt.spec?.storageClassName).toBe('local-path');
    expect((await srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'no-class')).spec?.storageClassName).toBe('local-path');
    const empty = await srv.client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, claim('empty-class', ''));
    expect(empty.spec?.storageClassName).toBe('');
    const stated = await srv.client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, claim('stated', 'slow'));
    expect(stated.spec?.storageClassName).toBe('slow');
  });
});
