// The PKI primitives: a CA, leaf certificates with SANs and identities that Node's TLS accepts (a real
// handshake on loopback, each side verifying the other), and the checks that decide reuse.
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  certificateIdentity,
  certificateStillValid,
  createCA,
  createServiceAccountKeyPair,
  ensureSelfSignedServingCert,
  issueCertificate,
  selfSignedServingCert,
  splitSANs,
  writeCertKey,
} from './pki';

describe('pki', () => {
  it('issues serving and client certificates a TLS handshake accepts on both sides', async () => {
    const ca = await createCA('test-ca');
    const server = await issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: ['localhost', 'kubernetes.default.svc'], ipAddresses: ['127.0.0.1', '10.96.0.1'], usage: 'server' });
    const client = await issueCertificate(ca, { commonName: 'alice', organizations: ['dev', 'ops'], usage: 'client' });
    const srv = tls.createServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (s) => {
      const peer = s.getPeerCertificate();
      s.end(JSON.stringify({ cn: peer.subject.CN, o: peer.subject.O, authorized: s.authorized }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, cert: client.cert, key: client.key, servername: 'localhost' }, () => {
          let data = '';
          c.on('data', (d: Buffer) => (data += d.toString()));
          c.on('end', () => resolve(data));
        });
        c.on('error', reject);
      });
      expect(JSON.parse(answer)).toEqual({ cn: 'alice', o: ['dev', 'ops'], authorized: true });
      // The IP SAN is verified too (a client dialling 127.0.0.1 without a server name).
      await new Promise<void>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, cert: client.cert, key: client.key }, () => {
          c.end();
          resolve();
        });
        c.on('error', reject);
      });
    } finally {
      srv.close();
    }
  });

  it('a client certificate cannot serve and a serving certificate cannot be a client', async () => {
    const ca = await createCA();
    const client = await issueCertificate(ca, { commonName: 'bob', usage: 'client' });
    const srv = tls.createServer({ cert: client.cert, key: client.key }, (s) => s.end('x'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const err = await new Promise<Error>((resolve) => {
        const c = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'localhost' }, () => resolve(new Error('connected')));
        c.on('error', resolve);
      });
      expect(err.message).not.toBe('connected');
    } finally {
      srv.close();
    }
  });

  it('reads the identity and decides reuse: CA, SANs, subject, expiry', async () => {
    const ca = await createCA();
    const other = await createCA();
    const c = await issueCertificate(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['10.0.0.5'], usage: 'server+client' });
    expect(certificateIdentity(c.cert)).toEqual({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
    expect(certificateStillValid(c.cert, { ca: ca.cert, dnsNames: ['n1'], ipAddresses: ['10.0.0.5'], commonName: 'system:node:n1', organizations: ['system:nodes'] })).toBe(true);
    expect(certificateStillValid(c.cert, { ca: other.cert })).toBe(false);
    expect(certificateStillValid(c.cert, { ca: ca.cert, ipAddresses: ['10.0.0.6'] })).toBe(false);
    expect(certificateStillValid(c.cert, { ca: ca.cert, dnsNames: ['n2'] })).toBe(false);
    expect(certificateStillValid(c.cert, { ca: ca.cert, organizations: ['system:masters'] })).toBe(false);
    expect(certificateStillValid(c.cert, { ca: ca.cert, renewBeforeMs: 400 * 24 * 3600 * 1000 })).toBe(false);
    expect(certificateStillValid('garbage', {})).toBe(false);
    const x = new X509Certificate(c.cert);
    expect(x.ca).toBe(false);
    expect(new X509Certificate(ca.cert).ca).toBe(true);
  });

  it('self-signed serving certificates in a cert dir are kept while they cover the names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-pki-'));
    try {
      const a = await ensureSelfSignedServingCert(dir, 'apiserver', { commonName: 'x', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      const first = fs.readFileSync(a.certFile, 'utf8');
      expect(fs.statSync(a.keyFile).mode & 0o777).toBe(0o600);
      await ensureSelfSignedServingCert(dir, 'apiserver', { commonName: 'x', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      expect(fs.readFileSync(a.certFile, 'utf8')).toBe(first);
      await ensureSelfSignedServingCert(dir, 'apiserver', { commonName: 'x', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '10.1.2.3'] });
      expect(fs.readFileSync(a.certFile, 'utf8')).not.toBe(first);
      expect(new X509Certificate(fs.readFileSync(a.certFile)).checkIP('10.1.2.3')).toBe('10.1.2.3');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes keys 0600 and certificates 0644; service-account keys are RSA', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-pki-'));
    try {
      writeCertKey(dir, 'ss', await selfSignedServingCert({ commonName: 'ss' }));
      expect(fs.statSync(path.join(dir, 'ss.key')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, 'ss.crt')).mode & 0o777).toBe(0o644);
      const sa = createServiceAccountKeyPair();
      expect(sa.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(sa.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(splitSANs(['127.0.0.1', 'LocalHost', '[::1]', '', 'kubernetes'])).toEqual({ dnsNames: ['localhost', 'kubernetes'], ipAddresses: ['127.0.0.1', '::1'] });
  });
});
