// kube-apiserver's certificates admission plugins, on by default there and here:
//   CertificateApproval            /approval writes need `approve` on the request's signer
//   CertificateSigning             a /status write that changes the certificate needs `sign` on it
//   CertificateSubjectRestriction  no kube-apiserver-client request for the system:masters group
// A signer is authorized as the resource `signers` of certificates.k8s.io named after it, or by the
// wildcard of its domain (`example.com/*`), so a ClusterRole can grant approval per signer.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { KubeAPIServerClientSignerName } from '../../lib/api/certificates';
import { parseCertificateRequest } from '../../lib/component/csr';
import type { AdmissionAttributes, AdmissionPlugin, Authorizer, UserInfo } from '../auth/types';
import { errors } from '../errors';
import { requestPem } from '../validation/certificates';

const GROUP = 'certificates.k8s.io';

/** IsAuthorizedForSignerName: the verb on the signer, or on every signer of its domain. */
export async function authorizedForSigner(authorizer: Authorizer, user: UserInfo, verb: 'approve' | 'sign', signerName: string): Promise<boolean> {
  const ask = async (name: string) =>
    (await authorizer.authorize({ user, verb, resourceRequest: true, path: '', namespace: '', apiGroup: GROUP, apiVersion: '*', resource: 'signers', subresource: '', name })).decision === 'allow';
  if (await ask(signerName)) return true;
  const domain = signerName.split('/')[0];
  return ask(`${domain}/*`);
}

const isCsr = (a: AdmissionAttributes) => a.rt.group === GROUP && a.rt.resource === 'certificatesigningrequests';

export function certificateAdmissionPlugins(authorizer: () => Authorizer): AdmissionPlugin[] {
  return [
    {
      name: 'CertificateApproval',
      async validate(a) {
        if (!isCsr(a) || a.subresource !== 'approval' || a.operation !== 'UPDATE' || !a.object) return;
        // The new object's signer (the same as the old one's: the spec cannot change).
        const signer = (a.object as unknown as CertificateSigningRequest).spec?.signerName ?? '';
        if (!(await authorizedForSigner(authorizer(), a.user, 'approve', signer))) {
          throw errors.forbidden(a.rt, a.name, `user not permitted to approve requests with signerName ${JSON.stringify(signer)}`);
        }
      },
    },
    {
      name: 'CertificateSigning',
      async validate(a) {
        if (!isCsr(a) || a.subresource !== 'status' || a.operation !== 'UPDATE' || !a.object) return;
        const csr = a.object as unknown as CertificateSigningRequest;
        const old = a.oldObject as unknown as CertificateSigningRequest | undefined;
        if ((csr.status?.certificate ?? '') === (old?.status?.certificate ?? '')) return;
        const signer = csr.spec?.signerName ?? '';
        if (!(await authorizedForSigner(authorizer(), a.user, 'sign', signer))) {
          throw errors.forbidden(a.rt, a.name, `user not permitted to sign requests with signerName ${JSON.stringify(signer)}`);
        }
      },
    },
    {
      name: 'CertificateSubjectRestriction',
      validate(a) {
        if (!isCsr(a) || a.operation !== 'CREATE' || !a.object) return;
        const csr = a.object as unknown as CertificateSigningRequest;
        if (csr.spec?.signerName !== KubeAPIServerClientSignerName) return;
        let organizations: string[];
        try {
          organizations = parseCertificateRequest(requestPem(csr)).organizations;
        } catch {
          return; // validation refuses the request with its reason
        }
        if (organizations.includes('system:masters')) {
          throw errors.forbidden(a.rt, a.name, `use of ${KubeAPIServerClientSignerName} signer with system:masters group is not allowed`);
        }
      },
    },
  ];
}
