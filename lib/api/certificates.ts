// certificates.k8s.io/v1 CertificateSigningRequests, as the apiserver, the signer and kubectl read
// them: the well-known signers, the key usages a request may name, and its conditions.
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1';

/** Client certificates for kube-apiserver (users, tools): never approved automatically. */
export const KubeAPIServerClientSignerName = 'kubernetes.io/kube-apiserver-client';
/** Client certificates of kubelets (system:node:NAME in system:nodes). */
export const KubeAPIServerClientKubeletSignerName = 'kubernetes.io/kube-apiserver-client-kubelet';
/** Serving certificates of kubelets. */
export const KubeletServingSignerName = 'kubernetes.io/kubelet-serving';
/** v1beta1's default signer: refused by v1, never signed. */
export const LegacyUnknownSignerName = 'kubernetes.io/legacy-unknown';

/** The signers kube-controller-manager's csrsigning controller issues for (steer's does too). */
export const builtinSignerNames = [KubeAPIServerClientSignerName, KubeAPIServerClientKubeletSignerName, KubeletServingSignerName] as const;

/** Every value spec.usages may hold (certificates.KeyUsage). */
export const keyUsages = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
] as const;

export type CsrConditionType = 'Approved' | 'Denied' | 'Failed';

export function csrConditions(csr: Pick<CertificateSigningRequest, 'status'>, type: string): CertificateSigningRequestCondition[] {
  return (csr.status?.conditions ?? []).filter((c) => c.type === type);
}

export function hasCsrCondition(csr: Pick<CertificateSigningRequest, 'status'>, type: CsrConditionType): boolean {
  return csrConditions(csr, type).length > 0;
}

/** kubectl's CONDITION column: Denied, Approved or Pending, then ,Failed and ,Issued. */
export function csrConditionSummary(csr: Pick<CertificateSigningRequest, 'status'>): string {
  let s = hasCsrCondition(csr, 'Denied') ? 'Denied' : hasCsrCondition(csr, 'Approved') ? 'Approved' : 'Pending';
  if (hasCsrCondition(csr, 'Failed')) s += ',Failed';
  if (csr.status?.certificate) s += ',Issued';
  return s;
}
