// certificates.k8s.io/v1 validation: CertificateSigningRequest (k8s.io/kubernetes/pkg/apis/certificates/
// validation), with kube-apiserver's messages. The request must be a PKCS#10 request whose signature
// checks; usages are known and not repeated; the signer is a qualified name; conditions are
// well-formed, Approved and Denied exclusive; a certificate is PEM CERTIFICATE blocks only. Updates
// never remove Approved/Denied/Failed; only /approval adds or changes Approved and Denied, only
// /status sets the certificate, once.
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1';
import { csrConditions, keyUsages, LegacyUnknownSignerName } from '../../lib/api/certificates';
import { checkCertificateChain, parseCertificateRequest } from '../../lib/component/csr';
import { dns1123Label, dns1123Subdomain, duplicate, forbidden, invalid, notSupported, required, tooLong, type FieldCause } from './common';

const trueOnlyConditionTypes = ['Approved', 'Denied', 'Failed'];
const allStatuses = ['False', 'True', 'Unknown'];

/** The PEM text of spec.request (JSON carries it base64-encoded, as all []byte fields). */
export function requestPem(csr: CertificateSigningRequest): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}

/** ValidateSignerName (pkg/apis/core/validation/names.go). */
export function validateSignerName(field: string, name: string | undefined): FieldCause[] {
  if (!name) return [required(field, '')];
  const segments = name.split('/');
  if (segments.length !== 2) return [invalid(field, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, path] = segments;
  const causes: FieldCause[] = [];
  if (domain.length > 253) causes.push(tooLong(field, 253));
  for (const label of domain.split('.')) {
    const errs = dns1123Label(label);
    if (errs.length) {
      for (const e of errs) causes.push(invalid(field, domain, `validating label "${label}": ${e}`));
      break;
    }
  }
  if (domain.split('.').length < 2) causes.push(invalid(field, domain, 'should be a domain with at least two segments separated by dots'));
  for (const part of path.split('.')) {
    const errs = dns1123Subdomain(part);
    if (errs.length) {
      for (const e of errs) causes.push(invalid(field, path, `validating component "${part}": ${e}`));
      break;
    }
  }
  // <fqdn>/<namespace>.<name>: 63 + 1 + 253 for the path.
  if (path.length > 317) causes.push(tooLong(field, 317));
  return causes;
}

function validateConditions(conditions: CertificateSigningRequestCondition[], tolerate: { bothApprovedAndDenied: boolean; duplicates: boolean; emptyType: boolean }): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditions.forEach((c, i) => {
    const f = `status.conditions[${i}]`;
    if (!c.type && !tolerate.emptyType) causes.push(required(`${f}.type`, ''));
    const allowed = trueOnlyConditionTypes.includes(c.type) ? ['True'] : allStatuses;
    if (!c.status) causes.push(required(`${f}.status`, ''));
    else if (!allowed.includes(c.status)) causes.push(notSupported(`${f}.status`, c.status, allowed));
    if (!tolerate.bothApprovedAndDenied) {
      if (c.type === 'Approved') {
        approved = true;
        if (denied) causes.push(invalid(`${f}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (c.type === 'Denied') {
        denied = true;
        if (approved) causes.push(invalid(`${f}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!tolerate.duplicates && seen.has(c.type)) causes.push(duplicate(`${f}.type`, c.type));
    seen.add(c.type);
  });
  return causes;
}

const conditionsOf = (csr: CertificateSigningRequest | undefined) => csr?.status?.conditions ?? [];

/**
 * The whole object, on create (old undefined) and on updates of the object, /status or /approval.
 * What a stored object already breaks is tolerated on its updates (kube's compatibility options).
 */
export function validateCertificateSigningRequest(csr: CertificateSigningRequest, old: CertificateSigningRequest | undefined, subresource?: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = csr.spec ?? ({} as CertificateSigningRequest['spec']);
  try {
    parseCertificateRequest(requestPem(csr));
  } catch (err) {
    causes.push(invalid('spec.request', '<request data>', (err as Error).message));
  }
  const usages = spec.usages ?? [];
  const oldUsages = old?.spec?.usages ?? [];
  if (usages.length === 0) causes.push(required('spec.usages', ''));
  const unknownAllowed = oldUsages.some((u) => !(keyUsages as readonly string[]).includes(u));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    if (!unknownAllowed && !(keyUsages as readonly string[]).includes(u)) causes.push(notSupported(`spec.usages[${i}]`, u, [...keyUsages].sort()));
    if (seen.has(u) && new Set(oldUsages).size === oldUsages.length) causes.push(duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  if (spec.signerName === LegacyUnknownSignerName && old?.spec?.signerName !== LegacyUnknownSignerName) {
    causes.push(invalid('spec.signerName', spec.signerName, 'the legacy signerName is not allowed via this API version'));
  } else if (spec.signerName !== LegacyUnknownSignerName) {
    causes.push(...validateSignerName('spec.signerName', spec.signerName));
  }
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds < 600) {
    causes.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  const oldConditions = conditionsOf(old);
  const types = (cs: CertificateSigningRequestCondition[]) => cs.map((c) => c.type);
  causes.push(
    ...validateConditions(conditionsOf(csr), {
      bothApprovedAndDenied: types(oldConditions).includes('Approved') && types(oldConditions).includes('Denied'),
      duplicates: new Set(types(oldConditions)).size !== oldConditions.length,
      emptyType: types(oldConditions).includes(''),
    }),
  );
  const certificate = csr.status?.certificate;
  const oldCertificate = old?.status?.certificate;
  if (certificate && certificate !== oldCertificate) {
    try {
      checkCertificateChain(Buffer.from(certificate, 'base64').toString('utf8'));
    } catch (err) {
      causes.push(invalid('status.certificate', '<certificate data>', (err as Error).message));
    }
  }
  if (!old) return causes;

  for (const t of trueOnlyConditionTypes) {
    if (csrConditions(csr, t).length < csrConditions(old, t).length) causes.push(forbidden('status.conditions', `updates may not remove a condition of type "${t}"`));
  }
  if (subresource !== 'approval') {
    for (const t of ['Approved', 'Denied']) {
      const before = csrConditions(old, t);
      const after = csrConditions(csr, t);
      if (after.length > before.length) causes.push(forbidden('status.conditions', `updates may not add a condition of type "${t}"`));
      else if (after.length === before.length && JSON.stringify(after) !== JSON.stringify(before)) causes.push(forbidden('status.conditions', `updates may not modify a condition of type "${t}"`));
    }
  }
  if ((certificate ?? '') !== (oldCertificate ?? '')) {
    if (subresource !== 'status') causes.push(forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCertificate) causes.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return causes;
}
