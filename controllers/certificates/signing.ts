// The CSR signer's pure core (kube-controller-manager's csrsigning controller, pkg/controller/
// certificates/signer): for an approved request to one of the well-known signers, not failed and not
// yet issued, either a Failed condition (the request breaks its signer's rules: reason
// SignerValidationFailure) or a certificate of the requested duration, at most the cluster's signing
// duration and at least 10 minutes. Requests for other signers are left to their own signers.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { builtinSignerNames, hasCsrCondition, KubeAPIServerClientKubeletSignerName, KubeAPIServerClientSignerName, KubeletServingSignerName } from '../../lib/api/certificates';
import type { CertificateRequestInfo } from '../../lib/component/csr';

export type SigningDecision = { action: 'none' } | { action: 'fail'; message: string } | { action: 'sign'; usages: string[]; durationMs: number };

/** kube's --cluster-signing-duration default: a year. */
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 3600_000;
const MIN_DURATION_MS = 600_000;

const sameSet = (a: readonly string[], b: readonly string[]) => new Set(a).size === new Set(b).size && a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));
const listed = (xs: readonly string[]) => `[${[...xs].sort().join(' ')}]`;

/** kubernetes.io/kube-apiserver-client: client auth, optionally digital signature and key encipherment. */
function apiserverClientProblem(usages: string[]): string | undefined {
  for (const u of usages) if (!['digital signature', 'key encipherment', 'client auth'].includes(u)) return `invalid usage for client certificate: ${u}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}

const kubeletClientUsages = ['key encipherment', 'digital signature', 'client auth'];
const kubeletServingUsages = ['key encipherment', 'digital signature', 'server auth'];

/** ValidateKubeletClientCSR: system:node:NAME in system:nodes, no names, client usages. */
function kubeletClientProblem(req: CertificateRequestInfo, usages: string[]): string | undefined {
  if (!sameSet(req.organizations, ['system:nodes'])) return 'subject organization is not system:nodes';
  if (req.dnsNames.length) return 'dnsNames are forbidden';
  if (req.emailAddresses.length) return 'emailAddresses are forbidden';
  if (req.ipAddresses.length) return 'ipAddresses are forbidden';
  if (req.uris.length) return 'uriSANs are forbidden';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  const noRsa = kubeletClientUsages.filter((u) => u !== 'key encipherment');
  if (!sameSet(usages, kubeletClientUsages) && !sameSet(usages, noRsa)) return `usages did not match ${listed(kubeletClientUsages)}`;
  return undefined;
}

/** ValidateKubeletServingCSR: system:node:NAME in system:nodes, a DNS or IP name, server usages. */
function kubeletServingProblem(req: CertificateRequestInfo, usages: string[]): string | undefined {
  if (!sameSet(req.organizations, ['system:nodes'])) return 'subject organization is not system:nodes';
  if (!req.dnsNames.length && !req.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length) return 'Email subjectAltNames are forbidden';
  if (req.uris.length) return 'URI subjectAltNames are forbidden';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  const noRsa = kubeletServingUsages.filter((u) => u !== 'key encipherment');
  if (!sameSet(usages, kubeletServingUsages) && !sameSet(usages, noRsa)) return `usages did not match ${listed(kubeletServingUsages)}`;
  return undefined;
}

const problems: Record<string, (req: CertificateRequestInfo, usages: string[]) => string | undefined> = {
  [KubeAPIServerClientSignerName]: (_req, usages) => apiserverClientProblem(usages),
  [KubeAPIServerClientKubeletSignerName]: kubeletClientProblem,
  [KubeletServingSignerName]: kubeletServingProblem,
};

/** Whether this signer acts on the request at all (before its PKCS#10 request is parsed). */
export function awaitsSigning(csr: CertificateSigningRequest): boolean {
  return (
    (builtinSignerNames as readonly string[]).includes(csr.spec?.signerName ?? '') &&
    hasCsrCondition(csr, 'Approved') &&
    !hasCsrCondition(csr, 'Failed') &&
    !hasCsrCondition(csr, 'Denied') &&
    !csr.status?.certificate
  );
}

/** What to do with a request (its parsed PKCS#10 `req`), signing for at most `maxDurationMs`. */
export function planSigning(csr: CertificateSigningRequest, req: CertificateRequestInfo, maxDurationMs = DEFAULT_SIGNING_DURATION_MS): SigningDecision {
  if (!awaitsSigning(csr)) return { action: 'none' };
  const usages = csr.spec.usages ?? [];
  const problem = problems[csr.spec.signerName](req, usages);
  if (problem) return { action: 'fail', message: problem };
  const asked = csr.spec.expirationSeconds;
  const durationMs = asked === undefined ? maxDurationMs : Math.min(maxDurationMs, Math.max(MIN_DURATION_MS, asked * 1000));
  return { action: 'sign', usages, durationMs };
}
