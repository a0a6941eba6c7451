// The Pod Security Standards checks and policy labels on their own: the messages are Kubernetes' own
// words in Kubernetes' order (baseline checks, then restricted ones, each by ID), versions pick the
// checks of their time, and namespace labels parse as pod-security-admission parses them.
import type { Pod, PodSpec } from 'kubernetes-types/core/v1';
import { aggregateCheckResults, Evaluator, forbiddenDetail, type Level, type PolicyVersion } from './checks';
import { policyToEvaluate } from './policy';

const evaluator = new Evaluator();

function detail(level: Level, spec: PodSpec, version: PolicyVersion = 'latest', annotations?: Record<string, string>): string {
  const r = aggregateCheckResults(evaluator.evaluatePod(level, version, { name: 'p', annotations }, spec));
  return r.allowed ? 'allowed' : forbiddenDetail(r);
}

const restrictedContainer = {
  name: 'c',
  image: 'busybox',
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } },
};

test('a plain pod meets baseline but not restricted, in Kubernetes words and order', () => {
  const spec: PodSpec = { containers: [{ name: 'c', image: 'busybox' }] };
  expect(detail('privileged', spec)).toBe('allowed');
  expect(detail('baseline', spec)).toBe('allowed');
  expect(detail('restricted', spec)).toBe(
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  expect(detail('restricted', { containers: [restrictedContainer] })).toBe('allowed');
});

test('a privileged pod with host access breaks baseline on every count', () => {
  const spec: PodSpec = {
    hostNetwork: true,
    hostPID: true,
    volumes: [{ name: 'root', hostPath: { path: '/' } }],
    securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }], seccompProfile: { type: 'Unconfined' } },
    initContainers: [{ name: 'init', image: 'busybox', securityContext: { privileged: true } }],
    containers: [
      {
        name: 'a',
        image: 'busybox',
        ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 81 }],
        securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN', 'CHOWN'] }, procMount: 'Unmasked', seLinuxOptions: { type: 'spc_t', user: 'root' }, appArmorProfile: { type: 'Unconfined' } },
      },
    ],
  };
  expect(detail('baseline', spec)).toBe(
    'forbidden AppArmor profile (container "a" must not set AppArmor profile type to "Unconfined"), ' +
      'non-default capabilities (container "a" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add), ' +
      'host namespaces (hostNetwork=true, hostPID=true), ' +
      'hostPath volumes (volume "root"), ' +
      'hostPort (container "a" uses hostPorts 8080, 81), ' +
      'privileged (containers "init", "a" must not set securityContext.privileged=true), ' +
      'procMount (container "a" must not set securityContext.procMount to "Unmasked"), ' +
      'seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set), ' +
      'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined"), ' +
      'forbidden sysctls (kernel.msgmax)',
  );
  // At restricted, hostPath shows as a restricted volume type and capabilities as unrestricted ones.
  const restricted = detail('restricted', spec);
  expect(restricted).toContain('restricted volume types (volume "root" uses restricted volume type "hostPath")');
  expect(restricted).not.toContain('hostPath volumes');
  expect(restricted).toContain('unrestricted capabilities (containers "init", "a" must set securityContext.capabilities.drop=["ALL"]; container "a" must not include "CHOWN", "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)');
});

test('pod-level settings satisfy restricted for containers that leave them unset; runAsUser=0 is refused', () => {
  const spec: PodSpec = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' }, runAsUser: 0 },
    containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
  };
  expect(detail('restricted', spec)).toBe('runAsUser=0 (pod must not set runAsUser=0)');
  // runAsUser joined restricted in 1.23.
  expect(detail('restricted', spec, 22)).toBe('allowed');
  // User namespaces relax it from 1.35.
  expect(detail('restricted', { ...spec, hostUsers: false })).toBe('allowed');
});

test('versions pick the checks of their time', () => {
  const spec: PodSpec = { containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } }] };
  // capabilities_restricted arrived in 1.22.
  expect(detail('restricted', spec, 21)).toBe('allowed');
  expect(detail('restricted', spec, 22)).toContain('unrestricted capabilities');
  // Before 1.19, seccomp was read from annotations.
  const annotated = { containers: [{ name: 'c', image: 'busybox' }] };
  expect(detail('baseline', annotated, 18, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' })).toBe('seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
  expect(detail('baseline', annotated, 19, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' })).toBe('allowed');
  // net.ipv4.ip_local_reserved_ports became safe in 1.27.
  const sysctl: PodSpec = { securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_reserved_ports', value: '1' }] }, containers: [{ name: 'c', image: 'x' }] };
  expect(detail('baseline', sysctl, 26)).toBe('forbidden sysctls (net.ipv4.ip_local_reserved_ports)');
  expect(detail('baseline', sysctl, 27)).toBe('allowed');
});

test('restricted volume types and windows pods', () => {
  const vols: PodSpec = { volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }, { name: 'e', emptyDir: {} }, { name: 'g', gitRepo: { repository: 'r' } }], containers: [restrictedContainer] };
  expect(detail('restricted', vols)).toBe('restricted volume types (volumes "n", "g" use restricted volume types "gitRepo", "nfs")');
  const windows = { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x' }] } as PodSpec;
  expect(detail('restricted', windows)).toBe('allowed');
});

test('namespace labels become a policy; warn follows a stricter enforce; bad values are field errors', () => {
  expect(policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'baseline' }).policy).toEqual({
    enforce: { level: 'baseline', version: 'latest' },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'baseline', version: 'latest' },
  });
  expect(policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.24', 'pod-security.kubernetes.io/warn': 'baseline' }).policy).toEqual({
    enforce: { level: 'restricted', version: 24 },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'baseline', version: 'latest' },
  });
  const bad = policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn-version': '1.25' });
  expect(bad.errors).toEqual([
    { field: 'metadata.labels[pod-security.kubernetes.io/enforce]', value: 'strict', message: 'must be one of privileged, baseline, restricted' },
    { field: 'metadata.labels[pod-security.kubernetes.io/warn-version]', value: '1.25', message: 'must be "latest" or "v1.x"' },
  ]);
  // A bad enforce level fails closed.
  expect(bad.policy.enforce.level).toBe('restricted');
});

test('every check passes the pods Kubernetes documents as compliant', () => {
  const pod: Pod = { spec: { containers: [restrictedContainer], securityContext: { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1' }] }, volumes: [{ name: 'v', projected: { sources: [] } }] } };
  expect(detail('restricted', pod.spec!)).toBe('allowed');
});
