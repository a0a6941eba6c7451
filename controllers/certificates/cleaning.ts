// The CSR cleaner's pure core (kube-controller-manager's csrcleaner, pkg/controller/certificates/cleaner):
// a CertificateSigningRequest is garbage once it has done its job or can no longer do it — pending for a
// day, approved or issued, denied, or failed an hour before, or holding a certificate that has expired.
// Nothing else in the cluster refers to a request, so deleting it loses nothing (the certificate was
// handed out through the API and lives with its user).
import { X509Certificate } from 'node:crypto';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { csrConditions, hasCsrCondition } from '../../lib/api/certificates';

export const PENDING_EXPIRATION_MS = 24 * 3600_000;
export const DECIDED_EXPIRATION_MS = 3600_000;

/** Why the request is garbage at `now`, or undefined while it is not. */
export function csrCleanupReason(csr: CertificateSigningRequest, now: number): string | undefined {
  const since = (time: string | undefined) => (time ? now - Date.parse(time) : 0);
  for (const [type, what] of [
    ['Approved', 'approved'],
    ['Denied', 'denied'],
    ['Failed', 'failed'],
  ] as const) {
    const c = csrConditions(csr, type)[0];
    if (c && since(c.lastUpdateTime ?? c.lastTransitionTime) > DECIDED_EXPIRATION_MS) return `${what} more than an hour ago`;
  }
  if (!hasCsrCondition(csr, 'Approved') && !hasCsrCondition(csr, 'Denied') && since(csr.metadata?.creationTimestamp) > PENDING_EXPIRATION_MS) return 'pending for more than a day';
  const certificate = csr.status?.certificate;
  if (certificate) {
    try {
      const cert = new X509Certificate(Buffer.from(certificate, 'base64').toString('utf8'));
      if (Date.parse(cert.validTo) < now) return 'its certificate has expired';
    } catch {
      // validation keeps unparseable certificates out; one stored before is left to the deadlines above
    }
  }
  return undefined;
}
