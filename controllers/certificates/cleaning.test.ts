// The CSR cleaner's rule (csrCleanupReason), table-tested: kube's csrcleaner deadlines.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { opensslCertificateBase64 } from '../../test/fixtures/certificates';
import { csrCleanupReason } from './cleaning';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString().replace(/\.\d+Z$/, 'Z');
const H = 3600_000;

function csr(conditions: Array<[string, number]>, certificate?: string): CertificateSigningRequest {
  return {
    metadata: { name: 'x', creationTimestamp: at(0) },
    spec: { request: '', signerName: 'example.com/s', usages: ['client auth'] },
    status: { conditions: conditions.map(([type, t]) => ({ type, status: 'True', lastUpdateTime: at(t) })), certificate },
  };
}

// A certificate valid for a day, looked at two days on.
const shortCert = opensslCertificateBase64(1);

describe('csrCleanupReason', () => {
  test.each<[string, CertificateSigningRequest, number, string | undefined]>([
    ['pending, 23 h', csr([]), 23 * H, undefined],
    ['pending, 25 h', csr([]), 25 * H, 'pending for more than a day'],
    ['approved 59 min ago', csr([['Approved', 0]]), 59 * 60_000, undefined],
    ['approved 61 min ago', csr([['Approved', 0]]), 61 * 60_000, 'approved more than an hour ago'],
    ['denied 2 h ago', csr([['Denied', 0]]), 2 * H, 'denied more than an hour ago'],
    ['failed 2 h ago', csr([['Failed', 0]]), 2 * H, 'failed more than an hour ago'],
    ['approved recently, 2 days after its creation', csr([['Approved', 47 * H]]), 48 * H, undefined],
  ])('%s', (_name, c, after, want) => {
    expect(csrCleanupReason(c, T0 + after)).toBe(want);
  });

  test('an issued certificate that has expired', () => {
    const c = csr([['Approved', Date.now() - T0]], shortCert);
    expect(csrCleanupReason(c, Date.now() + 10 * 60_000)).toBeUndefined();
    expect(csrCleanupReason(c, Date.now() + 2 * 24 * H)).toBe('approved more than an hour ago');
    // Expiry alone, with the approval's time unknown:
    const noTime: CertificateSigningRequest = { ...c, status: { ...c.status, conditions: [{ type: 'Approved', status: 'True' }] } };
    expect(csrCleanupReason(noTime, Date.now() + 2 * 24 * H)).toBe('its certificate has expired');
  });
});
