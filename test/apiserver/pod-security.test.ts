// Pod Security admission against a running apiserver: a restricted namespace refuses a privileged pod
// with Kubernetes' message (also through kubectl 1.20 and client-node), warn labels add Warning headers
// for pods and workload templates, bad labels are refused, tightening enforce warns about existing pods,
// and the audit level writes audit annotations.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { PodSecurityAdmission } from '../../apiserver/admission/pod-security/admission';
import type { AdmissionAttributes } from '../../apiserver/auth/types';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer({ enableAdmissionPlugins: ['PodSecurity'] });
  for (const [name, labels] of [
    ['locked', { 'pod-security.kubernetes.io/enforce': 'restricted' }],
    ['watched', { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.30' }],
  ] as const) {
    await srv.client.create(Resources.namespaces, undefined, { metadata: { name, labels } });
  }
});
afterAll(async () => {
  await srv.stop();
});

async function call(method: string, p: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; warning: string | null }> {
  const res = await fetch(`${srv.url}${p}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, warning: res.headers.get('warning') };
}

const privilegedPod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox:1.35', securityContext: { privileged: true } }] },
});

const EXPECTED =
  'pods "evil" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), ' +
  'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

test('a restricted namespace refuses a privileged pod with Kubernetes’ message', async () => {
  const r = await call('POST', '/api/v1/namespaces/locked/pods', privilegedPod('evil'));
  expect(r.status).toBe(403);
  expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: EXPECTED, details: { name: 'evil', kind: 'pods' } });
  // The same through client-node and kubectl 1.20.
  const api = srv.kubeConfig.makeApiClient(CoreV1Api);
  await expect(api.createNamespacedPod({ namespace: 'locked', body: privilegedPod('evil') as never })).rejects.toMatchObject({ code: 403 });
  const kubectl = path.join(__dirname, '../../tools/kubectl/usr/bin/kubectl');
  // Asynchronously: the apiserver runs in this process.
  const child = spawn(kubectl, ['--kubeconfig', srv.kubeconfigPath, 'create', '-f', '-']);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(JSON.stringify({ ...privilegedPod('evil'), metadata: { name: 'evil', namespace: 'locked' } }));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(1);
  expect(stderr.trim()).toBe(`Error from server (Forbidden): error when creating "STDIN": ${EXPECTED}`);
});

test('a compliant pod is admitted in the restricted namespace', async () => {
  const r = await call('POST', '/api/v1/namespaces/locked/pods', {
    metadata: { name: 'good' },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'busybox:1.35', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  });
  expect(r.status).toBe(201);
  expect(r.warning).toBeNull();
});

test('warn adds a Warning header to pods and workload templates; workloads are never refused', async () => {
  const pod = await call('POST', '/api/v1/namespaces/watched/pods', privilegedPod('loud'));
  expect(pod.status).toBe(201);
  expect(pod.warning).toBe('299 - "would violate PodSecurity \\"baseline:v1.30\\": host namespaces (hostNetwork=true), privileged (container \\"c\\" must not set securityContext.privileged=true)"');
  const template = { metadata: { labels: { app: 'x' } }, spec: privilegedPod('x').spec };
  for (const ns of ['watched', 'locked']) {
    const d = await call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'x' } }, template } });
    expect(d.status).toBe(201);
    expect(d.warning).toContain('would violate PodSecurity');
  }
});

test('bad labels are refused; tightening enforce warns about the pods that would break it', async () => {
  const bad = await call('POST', '/api/v1/namespaces', { metadata: { name: 'typo', labels: { 'pod-security.kubernetes.io/enforce': 'strict' } } });
  expect(bad.status).toBe(422);
  expect(bad.json.message).toBe('Namespace "typo" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
  const res = await fetch(`${srv.url}/api/v1/namespaces/watched`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }),
  });
  expect(res.status).toBe(200);
  const warning = res.headers.get('warning') ?? '';
  expect(warning).toContain('existing pods in namespace \\"watched\\" violate the new PodSecurity enforce level \\"baseline:latest\\"');
  expect(warning).toContain('loud: host namespaces, privileged');
});

test('audit writes the violations into audit annotations', async () => {
  const plugin = new PodSecurityAdmission({
    getNamespace: () => ({ metadata: { name: 'audited', labels: { 'pod-security.kubernetes.io/audit': 'restricted' } } }),
    listPods: () => [],
  });
  const a: AdmissionAttributes = {
    operation: 'CREATE',
    rt: Resources.pods,
    subresource: '',
    namespace: 'audited',
    name: 'p',
    user: { name: 'u', groups: [] },
    object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } }] } },
    dryRun: false,
    warnings: [],
    auditAnnotations: {},
  };
  await plugin.validate(a);
  expect(a.warnings).toEqual([]);
  expect(a.auditAnnotations).toEqual({
    'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
    'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "restricted:latest": unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])',
  });
});
