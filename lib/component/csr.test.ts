// PKCS#10 requests made by openssl (as a user following the Kubernetes docs does): parsed with their
// subject and names, a tampered one refused by its signature, and signed by a cluster CA into a leaf
// openssl verifies against that CA, with the usages asked for and the request's names.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkCertificateChain, parseCertificateRequest, signCertificateRequest } from './csr';
import { createCA, issueCertificate } from './pki';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-csr-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function opensslRequest(name: string, keyArgs: string[], subj: string, san?: string): string {
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', [...keyArgs, '-out', key], { stdio: 'pipe' });
  const args = ['req', '-new', '-key', key, '-subj', subj];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const EC = ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'];
const RSA = ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];

describe('certificate signing requests', () => {
  test.each([
    ['ECDSA', EC],
    ['RSA', RSA],
    ['Ed25519', ['genpkey', '-algorithm', 'ed25519']],
  ])('an openssl %s request is parsed: subject, groups and names', (alg, keyArgs) => {
    const csr = opensslRequest(`k-${alg}`, keyArgs, '/O=dev/O=ops/CN=jane', 'DNS:jane.example.com,IP:10.1.2.3,email:jane@example.com');
    const info = parseCertificateRequest(csr);
    expect(info).toMatchObject({
      commonName: 'jane',
      organizations: ['dev', 'ops'],
      dnsNames: ['jane.example.com'],
      ipAddresses: ['10.1.2.3'],
      emailAddresses: ['jane@example.com'],
      uris: [],
      publicKeyAlgorithm: alg,
    });
  });

  test('a request whose signed part was changed fails its signature check', () => {
    const csr = opensslRequest('tamper', EC, '/CN=jane');
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('jane'));
    der.write('joan', at);
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => parseCertificateRequest(forged)).toThrow('x509: ECDSA verification failure');
  });

  test.each([
    ['not PEM at all', 'hello', 'PEM block type must be CERTIFICATE REQUEST'],
    ['a certificate instead', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'PEM block type must be CERTIFICATE REQUEST'],
    ['garbage inside', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', 'asn1: structure error'],
  ])('%s is refused', (_name, text, message) => {
    expect(() => parseCertificateRequest(text)).toThrow(message);
  });

  test('signed by the CA: openssl verifies it, subject, names and usages as asked, backdated 5 minutes', async () => {
    const ca = await createCA('test-ca');
    const csr = opensslRequest('sign', RSA, '/O=dev/CN=jane', 'DNS:jane.example.com,IP:10.1.2.3');
    const now = Date.now();
    const certPem = await signCertificateRequest(ca, parseCertificateRequest(csr), { usages: ['digital signature', 'key encipherment', 'client auth'], durationMs: 3600_000, now });
    const caFile = path.join(dir, 'ca.crt');
    const certFile = path.join(dir, 'jane.crt');
    fs.writeFileSync(caFile, ca.cert);
    fs.writeFileSync(certFile, certPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile], { encoding: 'utf8' })).toContain(': OK');
    const text = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toMatch(/Subject: O ?= ?dev, CN ?= ?jane/);
    expect(text).toMatch(/Digital Signature, Key Encipherment/);
    expect(text).toMatch(/TLS Web Client Authentication/);
    expect(text).not.toMatch(/TLS Web Server Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    expect(text).toMatch(/DNS:jane\.example\.com, IP Address:10\.1\.2\.3/);
    const c = new X509Certificate(certPem);
    expect(Date.parse(c.validFrom)).toBe(Math.floor((now - 5 * 60_000) / 1000) * 1000);
    expect(Date.parse(c.validTo)).toBe(Math.floor((now + 3600_000) / 1000) * 1000);
    expect(() => checkCertificateChain(certPem)).not.toThrow();
  });

  test('never valid past the CA', async () => {
    const ca = await createCA('short-ca', 1);
    const certPem = await signCertificateRequest(ca, parseCertificateRequest(opensslRequest('cap', EC, '/CN=x')), { usages: ['client auth'], durationMs: 365 * 24 * 3600_000 });
    expect(Date.parse(new X509Certificate(certPem).validTo)).toBe(Date.parse(new X509Certificate(ca.cert).validTo));
  });

  test.each([
    ['no block', 'junk', 'must contain at least one CERTIFICATE PEM block'],
    ['another block type', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'only CERTIFICATE PEM blocks are allowed, found "PRIVATE KEY"'],
    ['a broken certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'x509: malformed certificate'],
  ])('status.certificate with %s is refused', (_n, text, message) => {
    expect(() => checkCertificateChain(text)).toThrow(message);
  });

  test('a chain of two certificates is accepted', async () => {
    const ca = await createCA('chain-ca');
    const leaf = await issueCertificate(ca, { commonName: 'x', usage: 'client' });
    expect(() => checkCertificateChain(leaf.cert + ca.cert)).not.toThrow();
  });
});
