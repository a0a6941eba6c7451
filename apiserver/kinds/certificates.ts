// The strategy of certificates.k8s.io/v1 CertificateSigningRequests (kube's pkg/registry/certificates/
// certificates/strategy.go): cluster-scoped; on create the server records who asked (spec.username,
// uid, groups, extra — whatever the body says) and drops any status, so nobody creates a pre-approved
// request; the spec never changes afterwards. /approval changes only the conditions (kubectl certificate
// approve/deny), /status everything in status (a signer's certificate, a Failed condition); new
// conditions get their timestamps. Who may approve or sign for a signer is the certificates admission
// plugins' business (admission/certificates.ts).
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1';
import { Resources } from '../../lib/api/resources';
import { rfc3339 } from '../../lib/api/time';
import type { KObj } from '../storage/types';
import { csrPrinter } from '../tables/certificates';
import { validateCertificateSigningRequest } from '../validation/certificates';
import { defineKind, KindStrategy } from './strategy';

/** populateConditionTimestamps: lastUpdateTime now where unset; lastTransitionTime kept while the status stays. */
function populateConditionTimestamps(next: CertificateSigningRequest, old: CertificateSigningRequest): void {
  const now = rfc3339();
  for (const c of next.status?.conditions ?? []) {
    c.lastUpdateTime ??= now;
    if (c.lastTransitionTime) continue;
    const before = (old.status?.conditions ?? []).find((o: CertificateSigningRequestCondition) => o.type === c.type);
    c.lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
  }
}

export const certificatesKinds: KindStrategy[] = [
  defineKind<CertificateSigningRequest>(Resources.certificatesigningrequests, {
    nameRule: 'path',
    printer: csrPrinter,
    validate: validateCertificateSigningRequest,
    prepareForCreate(obj: KObj, ctx) {
      const csr = obj as unknown as CertificateSigningRequest;
      obj.status = {};
      const spec = (csr.spec ??= {} as CertificateSigningRequest['spec']);
      const user = ctx?.user;
      delete spec.username;
      delete spec.uid;
      delete spec.groups;
      delete spec.extra;
      if (user) {
        spec.username = user.name;
        if (user.uid) spec.uid = user.uid;
        if (user.groups.length) spec.groups = [...user.groups];
        if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
      }
    },
    prepareForUpdate(next: KObj, old: KObj, subresource) {
      // The spec is what was asked for at create, for good.
      next.spec = structuredClone(old.spec);
      if (subresource === 'status' || subresource === 'approval') populateConditionTimestamps(next as unknown as CertificateSigningRequest, old as unknown as CertificateSigningRequest);
    },
  }),
];
