// From inside a pod on real containerd: @kubernetes/client-node's in-cluster config (loadFromCluster)
// reads the pod's projected token, ca.crt and namespace and KUBERNETES_SERVICE_HOST/PORT, reaches the
// apiserver through the `kubernetes` Service's ClusterIP (the service proxy's DNAT to the advertise
// address), verifies it with the projected CA and lists ConfigMaps as its service account.
// The pod runs the host's node binary and this checkout's node_modules through read-only hostPath
// mounts (steer's images have no node of their own). On the same cluster: an emptyDir of medium Memory
// is a tmpfs of its sizeLimit in the pod, and its mount goes with the pod; admission webhooks served by a
// pod behind a Service (the endpoints controller fills its Endpoints) label and refuse ConfigMaps.
// Needs root; run under flock /tmp/steer-e2e.lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import type { ConfigMap, Endpoints, Pod } from 'kubernetes-types/core/v1';
import type { Attributes } from '../../apiserver/auth/types';
import { numberToIpv4, parseIpv4Cidr } from '../../lib/api/ip';
import { Resources } from '../../lib/api/resources';
import { createCA, issueCertificate } from '../../lib/component/pki';
import { outcome } from '../helpers/identities';
import { IMAGES } from '../../node-agent/runtime-setup';
import type { TestApiServer } from '../helpers/apiserver';
import { makeTestPki, TestPki } from '../helpers/test-ca';
import { waitForWithin } from '../helpers/wait';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';
import type { TestRuntime } from './helpers/runtime';

const waitFor = waitForWithin(90_000);
jest.setTimeout(300_000);

const nodeModules = path.resolve(__dirname, '../../node_modules');

describe('a pod using its service account on real containerd', () => {
  let cluster: SingleNodeCluster | undefined;
  let rt: TestRuntime;
  let pki: TestPki | undefined;
  let api: TestApiServer;
  let hookDir: string | undefined;
  const seen: Attributes[] = [];

  beforeAll(async () => {
    cluster = await startSingleNodeCluster({
      name: 'service-account',
      nodeName: 'e2e-sa-node',
      api: ({ rt }) => {
        // The bridge's address: where pods reach the host.
        const gateway = numberToIpv4(parseIpv4Cidr(rt.podSubnet)!.base + 1);
        pki = makeTestPki([`IP:${gateway}`, 'IP:10.96.0.1', 'IP:127.0.0.1', 'DNS:kubernetes.default.svc']);
        return {
          host: '0.0.0.0',
          tlsCertFile: pki.certFile,
          tlsKeyFile: pki.keyFile,
          enableAdmissionPlugins: ['ServiceAccount', 'MutatingAdmissionWebhook', 'ValidatingAdmissionWebhook'],
          advertiseAddress: gateway,
          authorizer: {
            authorize: (a) => {
              seen.push(a);
              return { decision: 'allow' };
            },
          },
        };
      },
      agent: ({ rt }) => ({ serviceProxy: { instance: rt.bridge, clusterCIDR: rt.podSubnet } }),
      controllers: ['root-ca-cert-publisher', 'endpoints'],
      controllerOptions: () => ({ rootCAFile: pki!.caFile }),
    });
    ({ rt, api } = cluster);
    await api.client.create(Resources.namespaces, undefined, { metadata: { name: 'insiders' } });
    await api.client.create(Resources.serviceaccounts, 'insiders', { metadata: { name: 'lister' } });
  });

  afterAll(async () => {
    await cluster?.stop();
    pki?.cleanup();
    if (hookDir) fs.rmSync(hookDir, { recursive: true, force: true });
  });

  test('client-node loadFromCluster() in the pod lists ConfigMaps as the pod’s service account', async () => {
    const script = `
      const fs = require('fs');
      const k8s = require('/steer/node_modules/@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster();
      const ns = fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8');
      console.log('SERVER ' + kc.getCurrentCluster().server + ' NS ' + ns);
      // 0x01021994: a tmpfs (linux/magic.h), where the kubelet keeps a pod's token too.
      console.log('TOKEN ON ' + (fs.statfsSync('/var/run/secrets/kubernetes.io/serviceaccount').type === 0x01021994 ? 'tmpfs' : 'disk'));
      kc.makeApiClient(k8s.CoreV1Api).listNamespacedConfigMap({ namespace: ns }).then(
        (r) => console.log('LISTED ' + r.items.map((c) => c.metadata.name).join(',')),
        (e) => { console.log('FAILED ' + (e.code || '') + ' ' + e.message); process.exit(1); });`;
    const ro = (name: string, p: string, mountPath = p) => ({ volume: { name, hostPath: { path: p } }, mount: { name, mountPath, readOnly: true } });
    const mounts = [ro('usr', '/usr'), ro('lib', '/usr/lib', '/lib'), ro('lib64', '/usr/lib64', '/lib64'), ro('modules', nodeModules, '/steer/node_modules')];
    await api.client.create<Pod>(Resources.pods, 'insiders', {
      metadata: { name: 'inside' },
      spec: {
        nodeName: 'e2e-sa-node',
        serviceAccountName: 'lister',
        restartPolicy: 'Never',
        volumes: mounts.map((m) => m.volume),
        containers: [{ name: 'client', image: IMAGES.busybox, command: ['/usr/bin/node', '-e', script], volumeMounts: mounts.map((m) => m.mount) }],
      },
    });
    const pod = await waitFor('the pod to finish', async () => {
      const p = await api.client.get<Pod>(Resources.pods, 'insiders', 'inside');
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    });
    const logDir = fs.readdirSync(rt.podLogDir).find((d) => d.endsWith(`_${pod.metadata!.uid}`))!;
    const log = fs.readFileSync(path.join(rt.podLogDir, logDir, 'client', '0.log'), 'utf8');
    expect(log).toContain(`SERVER https://10.96.0.1:443 NS insiders`);
    // The token never reached the disk: its volume is on the agent's tmpfs, the pod dir has none.
    expect(log).toContain('TOKEN ON tmpfs');
    const uid = pod.metadata!.uid!;
    expect(fs.readdirSync(path.join(cluster!.agentStateDir, 'memory', uid, 'volumes', 'kubernetes.io~projected'))).toHaveLength(1);
    expect(fs.existsSync(path.join(cluster!.agentStateDir, 'pods', uid, 'volumes', 'kubernetes.io~projected'))).toBe(false);
    expect(log).toMatch(/LISTED .*kube-root-ca\.crt/);
    expect(pod.status?.phase).toBe('Succeeded');
    const call = seen.find((a) => a.namespace === 'insiders' && a.resource === 'configmaps' && a.verb === 'list' && a.user.name.startsWith('system:serviceaccount:'));
    expect(call?.user).toMatchObject({ name: 'system:serviceaccount:insiders:lister', groups: ['system:serviceaccounts', 'system:serviceaccounts:insiders', 'system:authenticated'] });
    expect(call?.user.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['inside']);
  });

  test('an emptyDir of medium Memory is a tmpfs of its sizeLimit: a write past it fails; it is unmounted with the pod', async () => {
    // Each line's output is asserted on below; the pod fails if the shell does.
    const script = [
      "grep ' /scratch ' /proc/mounts",
      'dd if=/dev/zero of=/scratch/half bs=1024 count=512 2>/dev/null && echo HALF WRITTEN',
      'dd if=/dev/zero of=/scratch/more bs=1024 count=1024 2>&1 || echo MORE REFUSED',
    ].join('\n');
    await api.client.create<Pod>(Resources.pods, 'insiders', {
      metadata: { name: 'scratch' },
      spec: {
        nodeName: 'e2e-sa-node',
        restartPolicy: 'Never',
        volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }],
        containers: [{ name: 'sh', image: IMAGES.busybox, command: ['/bin/sh', '-c', script], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
      },
    });
    const pod = await waitFor('the pod to finish', async () => {
      const p = await api.client.get<Pod>(Resources.pods, 'insiders', 'scratch');
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    });
    const uid = pod.metadata!.uid!;
    const logDir = fs.readdirSync(rt.podLogDir).find((d) => d.endsWith(`_${uid}`))!;
    const log = fs.readFileSync(path.join(rt.podLogDir, logDir, 'sh', '0.log'), 'utf8');
    expect(log).toMatch(/tmpfs \/scratch tmpfs rw,nosuid,nodev,.*size=1024k/);
    expect(log).toContain('HALF WRITTEN');
    expect(log).toContain('No space left on device');
    expect(log).toContain('MORE REFUSED');
    expect(pod.status?.phase).toBe('Succeeded');
    const hostDir = path.join(cluster!.agentStateDir, 'memory', uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch');
    const mountedOnHost = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === hostDir);
    expect(mountedOnHost()).toBe(true);
    await api.client.delete(Resources.pods, 'insiders', 'scratch');
    // A finished pod is deleted at once: the agent cleans up after the API object is gone.
    await waitFor('the pod to be gone', () => api.client.get<Pod>(Resources.pods, 'insiders', 'scratch').then(() => undefined, () => true));
    await waitFor('its memory dir to be gone', async () => (fs.existsSync(path.join(cluster!.agentStateDir, 'memory', uid)) ? undefined : true));
    expect(mountedOnHost()).toBe(false);
  });
  test('admission webhooks served by a pod behind a Service: a mutating one labels ConfigMaps, a validating one refuses some', async () => {
    // The webhook's serving certificate names the Service (hooks.insiders.svc), from a CA of this test.
    const ca = await createCA('e2e-webhook-ca');
    const serving = await issueCertificate(ca, { commonName: 'hooks', dnsNames: ['hooks.insiders.svc'], usage: 'server' });
    hookDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-e2e-hooks-'));
    fs.writeFileSync(path.join(hookDir, 'tls.crt'), serving.cert);
    fs.writeFileSync(path.join(hookDir, 'tls.key'), serving.key);
    const server = `
      const fs = require('fs'), https = require('https');
      https.createServer({ cert: fs.readFileSync('/certs/tls.crt'), key: fs.readFileSync('/certs/tls.key') }, (req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const review = JSON.parse(body), request = review.request, name = request.object.metadata.name;
          const response = { uid: request.uid, allowed: true };
          if (req.url.startsWith('/mutate')) {
            response.patchType = 'JSONPatch';
            response.patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { 'checked-by': 'hooks' } }])).toString('base64');
          } else if (name.startsWith('forbidden-')) {
            Object.assign(response, { allowed: false, status: { code: 403, message: 'names starting with forbidden- are refused, ' + request.userInfo.username } });
          }
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response }));
        });
      }).listen(8443);`;
    const ro = (name: string, p: string, mountPath = p) => ({ volume: { name, hostPath: { path: p } }, mount: { name, mountPath, readOnly: true } });
    const mounts = [ro('usr', '/usr'), ro('lib', '/usr/lib', '/lib'), ro('lib64', '/usr/lib64', '/lib64'), ro('certs', hookDir, '/certs')];
    await api.client.create<Pod>(Resources.pods, 'insiders', {
      metadata: { name: 'hooks', labels: { app: 'hooks' } },
      spec: {
        nodeName: 'e2e-sa-node',
        volumes: mounts.map((m) => m.volume),
        containers: [
          {
            name: 'hooks',
            image: IMAGES.busybox,
            command: ['/usr/bin/node', '-e', server],
            ports: [{ name: 'https', containerPort: 8443 }],
            readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 },
            volumeMounts: mounts.map((m) => m.mount),
          },
        ],
      },
    });
    await api.client.create(Resources.services, 'insiders', { metadata: { name: 'hooks' }, spec: { selector: { app: 'hooks' }, ports: [{ port: 443, targetPort: 'https' }] } });
    await waitFor('the webhook pod to be an endpoint of its Service', async () => {
      const eps = await api.client.get<Endpoints>(Resources.endpoints, 'insiders', 'hooks').catch(() => undefined);
      return eps?.subsets?.[0]?.addresses?.length ? true : undefined;
    });
    const caBundle = Buffer.from(ca.cert).toString('base64');
    const webhook = (name: string, p: string) => ({
      name,
      clientConfig: { service: { namespace: 'insiders', name: 'hooks', path: p }, caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'insiders' } },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
    });
    await api.client.create(Resources.mutatingwebhookconfigurations, undefined, { metadata: { name: 'label-configmaps' }, webhooks: [webhook('label.hooks.test', '/mutate')] });
    await api.client.create(Resources.validatingwebhookconfigurations, undefined, { metadata: { name: 'refuse-configmaps' }, webhooks: [webhook('refuse.hooks.test', '/validate')] });
    try {
      const created = await waitFor('the webhooks to take a ConfigMap', async () => {
        const cm = await api.client.create<ConfigMap>(Resources.configmaps, 'insiders', { metadata: { generateName: 'allowed-' }, data: { a: '1' } });
        return cm.metadata?.labels?.['checked-by'] === 'hooks' ? cm : undefined;
      });
      expect(created.metadata?.labels).toEqual({ 'checked-by': 'hooks' });
      const refused = await outcome(api.client.create(Resources.configmaps, 'insiders', { metadata: { name: 'forbidden-1' }, data: { a: '1' } }));
      expect(refused.code).toBe(403);
      expect(refused.message).toMatch(/^admission webhook "refuse.hooks.test" denied the request: names starting with forbidden- are refused, \S+/);
      // Another namespace is not selected.
      await expect(api.client.create(Resources.configmaps, 'default', { metadata: { name: 'forbidden-2' }, data: { a: '1' } })).resolves.toBeTruthy();
    } finally {
      await api.client.delete(Resources.validatingwebhookconfigurations, undefined, 'refuse-configmaps');
      await api.client.delete(Resources.mutatingwebhookconfigurations, undefined, 'label-configmaps');
    }
  });
});
