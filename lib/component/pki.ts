// X.509 for a steer cluster (kubeadm's pkiutil, reduced): a cluster CA, serving certificates with the
// names a client dials (DNS and IP SANs), client certificates whose subject is the identity (CN = user,
// O = groups, as kube-apiserver's x509 authenticator reads them), self-signed serving certificates for
// components started without one, and the checks that decide whether a kept certificate can still be
// used. Generation uses @peculiar/x509 on Node's webcrypto (loaded only when something is generated:
// it is ~2 MiB of code a running cluster does not need); reading uses Node's own X509Certificate.
// Keys are ECDSA P-256 (fast to make and to handshake with; kubectl, Go and Prometheus take them) in
// PKCS#8 PEM.
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import type { webcrypto as wc } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A certificate and its private key, both PEM. */
export interface CertKeyPem {
  cert: string;
  key: string;
}

export type CertUsage = 'server' | 'client' | 'server+client';

export interface CertSpec {
  commonName: string;
  /** Subject O values: the groups of a client certificate. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: CertUsage;
  /** Default 365 days (kubeadm's leaf lifetime). */
  validityDays?: number;
}

const DAY_MS = 24 * 3600 * 1000;
const EC_KEY: wc.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const EC_SIGN: wc.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

type X509Module = typeof import('@peculiar/x509');
let x509Module: X509Module | undefined;

/** @peculiar/x509 with its reflect polyfill and Node's webcrypto, loaded on first use. */
export function loadX509(): X509Module {
  if (!x509Module) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the polyfill must load before the library
    require('reflect-metadata');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see the top
    x509Module = require('@peculiar/x509') as X509Module;
    x509Module.cryptoProvider.set(webcrypto as wc.Crypto);
  }
  return x509Module;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A positive 128-bit serial number, hex (RFC 5280 wants them unique and at most 20 bytes). */
export function serialNumber(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

function subject(commonName: string, organizations: string[] = []): Array<Record<string, string[]>> {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

async function newKeyPair(): Promise<wc.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as wc.CryptoKeyPair;
}

async function keyPem(key: wc.CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

export async function importSigningKey(keyPemText: string): Promise<{ privateKey: wc.CryptoKey; publicKey: wc.CryptoKey }> {
  const der = createPrivateKey(keyPemText).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC_KEY, true, ['sign']);
  const spki = createPublicKey(keyPemText).export({ format: 'der', type: 'spki' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, EC_KEY, true, ['verify']);
  return { privateKey, publicKey };
}

/** A cluster CA (kubeadm's "kubernetes" CA): 10 years by default. */
export async function createCA(commonName = 'steer-ca', validityDays = 3650): Promise<CertKeyPem> {
  const x = loadX509();
  const keys = await newKeyPair();
  const now = Date.now();
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject(commonName),
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + validityDays * DAY_MS),
    signingAlgorithm: EC_SIGN,
    keys,
    extensions: [
      new x.BasicConstraintsExtension(true, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign | x.KeyUsageFlags.digitalSignature, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

function leafExtensions(x: X509Module, spec: CertSpec) {
  const usages = [];
  if (spec.usage !== 'client') usages.push(x.ExtendedKeyUsage.serverAuth);
  if (spec.usage !== 'server') usages.push(x.ExtendedKeyUsage.clientAuth);
  const names = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  return [
    new x.BasicConstraintsExtension(false, undefined, true),
    new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
    new x.ExtendedKeyUsageExtension(usages),
    ...(names.length ? [new x.SubjectAlternativeNameExtension(names)] : []),
  ];
}

/** A leaf certificate signed by the CA: a serving certificate, a client identity, or both. */
export async function issueCertificate(ca: CertKeyPem, spec: CertSpec): Promise<CertKeyPem> {
  const x = loadX509();
  const caCert = new x.X509Certificate(ca.cert);
  const caKeys = await importSigningKey(ca.key);
  const keys = await newKeyPair();
  const now = Date.now();
  const notAfter = Math.min(now + (spec.validityDays ?? 365) * DAY_MS, caCert.notAfter.getTime());
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: subject(spec.commonName, spec.organizations),
    issuer: caCert.subjectName,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(notAfter),
    signingAlgorithm: EC_SIGN,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      ...leafExtensions(x, spec),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

/**
 * A self-signed serving certificate, for a component started without one (kube-apiserver's and the
 * kubelet's --cert-dir fallback): clients must skip verification or trust this very certificate.
 */
export async function selfSignedServingCert(spec: Omit<CertSpec, 'usage'>): Promise<CertKeyPem> {
  const x = loadX509();
  const keys = await newKeyPair();
  const now = Date.now();
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject(spec.commonName, spec.organizations),
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + (spec.validityDays ?? 365) * DAY_MS),
    signingAlgorithm: EC_SIGN,
    keys,
    extensions: [...leafExtensions(x, { ...spec, usage: 'server' }), await x.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

/** An RSA key pair for signing service-account tokens (kubeadm's sa.key / sa.pub): PKCS#8 and SPKI PEM. */
export function createServiceAccountKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

// ---- reading --------------------------------------------------------------------------------------

/** The identity a client certificate carries: CN → user, O → groups. */
export function certificateIdentity(cert: X509Certificate | string): { commonName: string; organizations: string[] } {
  const c = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  const commonName = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? '';
  const organizations = [...c.subject.matchAll(/(?:^|\n)O=([^\n]*)/g)].map((m) => m[1]);
  return { commonName, organizations };
}

export interface KeepCheck {
  /** The CA that must have signed it. */
  ca?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** The subject it must have (client certificates). */
  commonName?: string;
  organizations?: string[];
  /** Renew when it expires sooner than this (default 30 days). */
  renewBeforeMs?: number;
}

/**
 * Whether a kept certificate still does its job: parses, is signed by the CA, names every host and
 * address asked for, has the subject asked for, and is not about to expire. Otherwise it is reissued.
 */
export function certificateStillValid(certPem: string, check: KeepCheck): boolean {
  let c: X509Certificate;
  try {
    c = new X509Certificate(certPem);
  } catch {
    return false;
  }
  if (Date.parse(c.validTo) - Date.now() < (check.renewBeforeMs ?? 30 * DAY_MS)) return false;
  if (check.ca) {
    const ca = new X509Certificate(check.ca);
    if (!c.checkIssued(ca) || !c.verify(ca.publicKey)) return false;
  }
  for (const d of check.dnsNames ?? []) if (!c.checkHost(d, { wildcards: false })) return false;
  for (const ip of check.ipAddresses ?? []) if (!c.checkIP(ip)) return false;
  if (check.commonName !== undefined || check.organizations !== undefined) {
    const id = certificateIdentity(c);
    if (check.commonName !== undefined && id.commonName !== check.commonName) return false;
    if (check.organizations !== undefined && [...id.organizations].sort().join('\n') !== [...check.organizations].sort().join('\n')) return false;
  }
  return true;
}

/** The host names and IPs split: what goes into DNS and IP SANs. */
export function splitSANs(names: Iterable<string>): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = new Set<string>();
  const ipAddresses = new Set<string>();
  for (const n of names) {
    const v = n.trim().replace(/^\[|\]$/g, '');
    if (!v) continue;
    if (net.isIP(v)) ipAddresses.add(v);
    else dnsNames.add(v.toLowerCase());
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

// ---- names ----------------------------------------------------------------------------------------

/** This machine's names: its host name, localhost and every IPv4 address of its interfaces. */
export function localHostNames(): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', os.hostname().toLowerCase()]);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') names.add(a.address);
  return [...names];
}

/** The first address of a Service range: the `kubernetes` Service's ClusterIP (10.96.0.1 of 10.96.0.0/12). */
export function firstServiceIP(serviceCIDR: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(serviceCIDR.trim());
  if (!m) return undefined;
  const len = Number(m[5]);
  if (len > 30) return undefined;
  const ip = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - len);
  const first = ip - (ip % size) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}

/**
 * The names an apiserver's serving certificate must carry (kubeadm's apiserver certificate): the
 * in-cluster names of the `kubernetes` Service and its ClusterIP, this machine's names and addresses,
 * and the addresses clients are told to use.
 */
export function apiserverCertNames(o: { serviceCIDR?: string; clusterDomain?: string; addresses?: string[] }): { dnsNames: string[]; ipAddresses: string[] } {
  const domain = o.clusterDomain ?? 'cluster.local';
  const serviceIP = firstServiceIP(o.serviceCIDR ?? '10.96.0.0/12');
  return splitSANs([
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    ...(serviceIP ? [serviceIP] : []),
    ...localHostNames(),
    ...(o.addresses ?? []).filter((a) => a !== '0.0.0.0' && a !== '::'),
  ]);
}

// ---- files ----------------------------------------------------------------------------------------

/** Writes a file readable by its owner only (keys, tokens) or world-readable (certificates). */
export function writeFileAtomic(file: string, data: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode); // the umask may have cut the mode at creation
  fs.renameSync(tmp, file);
}

/** Writes a pair as <base>.crt (0644) and <base>.key (0600). */
export function writeCertKey(dir: string, base: string, pair: CertKeyPem): void {
  writeFileAtomic(path.join(dir, `${base}.key`), pair.key, 0o600);
  writeFileAtomic(path.join(dir, `${base}.crt`), pair.cert, 0o644);
}

/** Reads <base>.crt and <base>.key, or undefined when either is missing. */
export function readCertKey(dir: string, base: string): CertKeyPem | undefined {
  try {
    return { cert: fs.readFileSync(path.join(dir, `${base}.crt`), 'utf8'), key: fs.readFileSync(path.join(dir, `${base}.key`), 'utf8') };
  } catch {
    return undefined;
  }
}

/**
 * The serving certificate in certDir/<base>.crt|key, made self-signed when missing or no longer
 * covering the names (what kube-apiserver and the kubelet do with --cert-dir when no certificate is
 * given). Returns the file paths.
 */
export async function ensureSelfSignedServingCert(certDir: string, base: string, spec: Omit<CertSpec, 'usage'>): Promise<{ certFile: string; keyFile: string }> {
  const certFile = path.join(certDir, `${base}.crt`);
  const keyFile = path.join(certDir, `${base}.key`);
  const kept = readCertKey(certDir, base);
  if (!kept || !certificateStillValid(kept.cert, { dnsNames: spec.dnsNames, ipAddresses: spec.ipAddresses })) {
    writeCertKey(certDir, base, await selfSignedServingCert(spec));
  }
  return { certFile, keyFile };
}
