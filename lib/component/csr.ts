// PKCS#10 certificate signing requests (the certificates.k8s.io API's spec.request): parsed and their
// signature checked synchronously, as validation runs (Go's x509.ParseCertificateRequest and
// CheckSignature), and signed by a CA into a leaf certificate as kube-controller-manager's csrsigning
// authority does: the request's subject and names, the usages the CSR object asks for, not a CA,
// backdated 5 minutes, never past the CA's own end.
import { X509Certificate, createPublicKey, verify as verifySignature } from 'node:crypto';
import { EC_SIGN, importSigningKey, loadX509, serialNumber, type CertKeyPem } from './pki';

/** What a signer looks at in a request. */
export interface CertificateRequestInfo {
  /** The DER of the whole request. */
  der: Buffer;
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** 'RSA', 'ECDSA', 'Ed25519' (the public key's algorithm). */
  publicKeyAlgorithm: string;
}

/** One DER TLV: its tag, where its contents start and where it ends (offsets into the buffer). */
interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(b: Buffer, at: number): Tlv {
  if (at + 2 > b.length) throw new Error('asn1: truncated');
  const tag = b[at];
  let len = b[at + 1];
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > b.length) throw new Error('asn1: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    p += n;
  }
  if (p + len > b.length) throw new Error('asn1: truncated');
  return { tag, start: at, contentStart: p, end: p + len };
}

/** The children of a constructed TLV. */
function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.contentStart; p < t.end; ) {
    const c = readTlv(b, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oidText(b: Buffer): string {
  const parts = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Signature algorithms by OID: the hash Node's verify takes (null: the key's own, Ed25519). */
const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};

/** Node's key types by Go's names for them (x509.PublicKeyAlgorithm). */
const KEY_ALGORITHMS: Record<string, string> = { ec: 'ECDSA', rsa: 'RSA', ed25519: 'Ed25519' };

/**
 * The first CERTIFICATE REQUEST block of PEM text, parsed, its self-signature checked. Throws with
 * Go's messages where they are the ones users see.
 */
export function parseCertificateRequest(pemText: string): CertificateRequestInfo {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pemText);
  if (!m || m[1] !== 'CERTIFICATE REQUEST') throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const der = Buffer.from(m[2].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  let tbs: Buffer;
  let algorithm: string;
  let signature: Buffer;
  try {
    const outer = readTlv(der, 0);
    const [info, alg, sig] = children(der, outer);
    if (outer.tag !== 0x30 || !info || !alg || !sig || sig.tag !== 0x03) throw new Error('not a CertificationRequest');
    tbs = der.subarray(info.start, info.end);
    const oid = children(der, alg)[0];
    algorithm = oidText(der.subarray(oid.contentStart, oid.end));
    signature = der.subarray(sig.contentStart + 1, sig.end); // past the unused-bits byte
  } catch (err) {
    throw new Error(`asn1: structure error: ${(err as Error).message}`);
  }
  const x = loadX509();
  let req: InstanceType<typeof x.Pkcs10CertificateRequest>;
  try {
    req = new x.Pkcs10CertificateRequest(der);
  } catch (err) {
    throw new Error(`x509: malformed certificate request: ${(err as Error).message}`);
  }
  if (!(algorithm in SIGNATURE_HASHES)) throw new Error(`x509: cannot verify signature: algorithm unimplemented (${algorithm})`);
  const key = createPublicKey({ key: Buffer.from(req.publicKey.rawData), format: 'der', type: 'spki' });
  const publicKeyAlgorithm = KEY_ALGORITHMS[key.asymmetricKeyType ?? ''] ?? String(key.asymmetricKeyType);
  if (!verifySignature(SIGNATURE_HASHES[algorithm], tbs, key, signature)) {
    throw new Error(`x509: ${publicKeyAlgorithm} verification failure`);
  }
  const san = req.getExtension('2.5.29.17');
  const names = san ? new x.SubjectAlternativeNameExtension(san.rawData).names.items : [];
  const ofType = (t: string) => names.filter((n) => n.type === t).map((n) => n.value);
  return {
    der,
    commonName: req.subjectName.getField('CN')[0] ?? '',
    organizations: req.subjectName.getField('O'),
    dnsNames: ofType('dns'),
    ipAddresses: ofType('ip'),
    emailAddresses: ofType('email'),
    uris: ofType('url'),
    publicKeyAlgorithm,
  };
}

/** certificates.k8s.io key usages → X.509 key usage bits (kube's keyUsagesFromStrings). */
const KEY_USAGE_BITS: Record<string, number> = {
  signing: 1,
  'digital signature': 1,
  'content commitment': 2,
  'key encipherment': 4,
  'key agreement': 16,
  'data encipherment': 8,
  'cert sign': 32,
  'crl sign': 64,
  'encipher only': 128,
  'decipher only': 256,
};

/** certificates.k8s.io extended key usages → OIDs. */
const EXT_KEY_USAGE_OIDS: Record<string, string> = {
  any: '2.5.29.37.0',
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  's/mime': '1.3.6.1.5.5.7.3.4',
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
};

/** How long the signer backdates a certificate, for clocks a little behind (kube's 5 minutes). */
const BACKDATE_MS = 5 * 60_000;

/**
 * A leaf certificate for the request, signed by the CA: its subject and subject alternative names,
 * the key usages asked for, valid from 5 minutes ago for `durationMs` (at most until the CA expires).
 * Returns the certificate's PEM.
 */
export async function signCertificateRequest(ca: CertKeyPem, request: CertificateRequestInfo, o: { usages: string[]; durationMs: number; now?: number }): Promise<string> {
  const x = loadX509();
  const req = new x.Pkcs10CertificateRequest(request.der);
  const caCert = new x.X509Certificate(ca.cert);
  const caKeys = await importSigningKey(ca.key);
  const now = o.now ?? Date.now();
  const notAfter = Math.min(now + o.durationMs, caCert.notAfter.getTime());
  const keyBits = o.usages.reduce((bits, u) => bits | (KEY_USAGE_BITS[u] ?? 0), 0);
  const extUsages = [...new Set(o.usages.map((u) => EXT_KEY_USAGE_OIDS[u]).filter((v): v is string => !!v))];
  const san = req.getExtension('2.5.29.17');
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: req.subjectName,
    issuer: caCert.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: EC_SIGN,
    publicKey: req.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x.BasicConstraintsExtension(false, undefined, true),
      ...(keyBits ? [new x.KeyUsagesExtension(keyBits, true)] : []),
      ...(extUsages.length ? [new x.ExtendedKeyUsageExtension(extUsages)] : []),
      ...(san ? [san] : []),
      await x.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** The certificates of PEM text, each parsed; throws with kube's messages (validateCertificate). */
export function checkCertificateChain(pemText: string): void {
  let blocks = 0;
  for (const m of pemText.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    if (m[1] !== 'CERTIFICATE') throw new Error(`only CERTIFICATE PEM blocks are allowed, found "${m[1]}"`);
    if (/^[A-Za-z-]+:/m.test(m[2])) throw new Error('no PEM block headers are permitted');
    blocks++;
    try {
      new X509Certificate(Buffer.from(m[2].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
    } catch (err) {
      throw new Error(`x509: malformed certificate: ${(err as Error).message}`);
    }
  }
  if (blocks === 0) throw new Error('must contain at least one CERTIFICATE PEM block');
}

