// The CertificateSigningRequest printer: SIGNERNAME, REQUESTOR, REQUESTEDDURATION and CONDITION as
// kubectl prints them (Pending, Approved,Issued, Denied, …).
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { csrConditionSummary } from '../../lib/api/certificates';
import { humanDuration } from '../../lib/api/time';
import { age, ageCol, col, meta, nameCol, none, type Printer } from './common';

export const csrPrinter: Printer = {
  columns: [
    nameCol,
    ageCol,
    col('SignerName', 'Name of the signer this request was made for.'),
    col('Requestor', 'Name of the user who made the request.'),
    col('RequestedDuration', 'The validity the request asked for.'),
    col('Condition', 'Whether the request is approved, denied or pending, and whether it failed or was issued.'),
  ],
  cells(obj, now) {
    const csr = obj as unknown as CertificateSigningRequest;
    const seconds = csr.spec?.expirationSeconds;
    return [meta(obj).name ?? '', age(obj, now), csr.spec?.signerName ?? none, csr.spec?.username ?? '', seconds === undefined ? none : humanDuration(seconds * 1000), csrConditionSummary(csr)];
  },
};
