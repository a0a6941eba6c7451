// Service environment variables as the kubelet makes them: the kubernetes Service for every pod, the
// pod's namespace's Services unless enableServiceLinks is false, Docker link variables, and the
// container's own variables winning over them while $(VAR) can use them.
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { resolveEnv } from './podspec';
import { envFromServices, serviceEnvFor } from './service-env';

const svc = (ns: string, name: string, ip: string, ports: Service['spec'] extends infer S ? (S extends { ports?: infer P } ? P : never) : never): Service => ({ metadata: { namespace: ns, name }, spec: { clusterIP: ip, ports } });
const kubernetes = svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
const redis = svc('app', 'redis-main', '10.96.0.20', [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'TCP' }]);
const headless = svc('app', 'headless', 'None', [{ port: 80 }]);
const other = svc('elsewhere', 'db', '10.96.0.30', [{ port: 5432 }]);

test('the kubernetes Service gives what client-node’s in-cluster config reads', () => {
  expect(Object.fromEntries(envFromServices([kubernetes]).map((e) => [e.name, e.value]))).toEqual({
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  });
});

test('the pod’s namespace’s Services, unless enableServiceLinks is false; never headless or other namespaces', () => {
  const pod: Pod = { metadata: { namespace: 'app', name: 'p' }, spec: { containers: [] } };
  const env = serviceEnvFor(pod, [kubernetes, redis, headless, other]);
  expect(env).toMatchObject({ KUBERNETES_SERVICE_HOST: '10.96.0.1', REDIS_MAIN_SERVICE_HOST: '10.96.0.20', REDIS_MAIN_SERVICE_PORT: '6379', REDIS_MAIN_SERVICE_PORT_METRICS: '9121', REDIS_MAIN_PORT: 'tcp://10.96.0.20:6379', REDIS_MAIN_PORT_9121_TCP_ADDR: '10.96.0.20' });
  expect(Object.keys(env).some((k) => k.startsWith('HEADLESS') || k.startsWith('DB_'))).toBe(false);
  const noLinks = serviceEnvFor({ ...pod, spec: { containers: [], enableServiceLinks: false } }, [kubernetes, redis]);
  expect(Object.keys(noLinks).every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
  expect(noLinks.KUBERNETES_SERVICE_PORT).toBe('443');
});

test('container variables win over service variables, and $(VAR) sees both', () => {
  const pod: Pod = { metadata: { namespace: 'app', name: 'p' }, spec: { containers: [] } };
  const c = { name: 'c', env: [{ name: 'KUBERNETES_SERVICE_PORT', value: '8443' }, { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }] };
  const env = Object.fromEntries(resolveEnv(pod, c, { podIP: '', hostIP: '', nodeName: 'n', data: { configMaps: {}, secrets: {} }, serviceEnv: serviceEnvFor(pod, [kubernetes]) }).map((e) => [e.name, e.value]));
  expect(env.KUBERNETES_SERVICE_PORT).toBe('8443');
  expect(env.API).toBe('https://10.96.0.1:8443');
  expect(env.KUBERNETES_PORT_443_TCP).toBe('tcp://10.96.0.1:443');
});
