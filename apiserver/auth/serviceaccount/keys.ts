// The keys service-account tokens are signed and verified with, as kube-apiserver reads them:
// --service-account-signing-key-file (a PEM private key, RSA or EC P-256) signs; every
// --service-account-key-file (PEM public keys, private keys or certificates, several per file) verifies,
// and the signing key's own public half always does. Without a signing key file (a programmatic
// startApiServer in tests), an EC P-256 key is generated in memory: its tokens die with the process.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface SigningKey {
  key: KeyObject;
  alg: SigningAlgorithm;
  /** kube's key ID: base64url(sha256(the public key's PKIX DER)). */
  kid: string;
}

export interface VerificationKey {
  key: KeyObject;
  alg: SigningAlgorithm;
  kid: string;
}

/** The JWS algorithm for a key, as kube-apiserver picks it (RS256 for RSA, ES256 for P-256). */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported service account key type ${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}: use RSA or EC P-256`);
}

/** kube's keyIDFromPublicKey: the SHA-256 of the PKIX (SubjectPublicKeyInfo) DER, base64url without padding. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  const out: Array<{ label: string; pem: string }> = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1], pem: m[0] });
  return out;
}

/** The private key of a PEM file (PKCS#1, PKCS#8 or SEC1). */
export function loadSigningKey(file: string): SigningKey {
  const text = fs.readFileSync(file, 'utf8');
  const block = pemBlocks(text).find((b) => b.label.endsWith('PRIVATE KEY'));
  if (!block) throw new Error(`${file}: no PEM private key`);
  const key = createPrivateKey(block.pem);
  return { key, alg: algorithmOf(key), kid: keyId(createPublicKey(key)) };
}

/** Every public key of a PEM file: PUBLIC KEY and RSA PUBLIC KEY blocks, private keys, certificates. */
export function loadVerificationKeys(file: string): VerificationKey[] {
  const text = fs.readFileSync(file, 'utf8');
  const keys: VerificationKey[] = [];
  for (const b of pemBlocks(text)) {
    let pub: KeyObject | undefined;
    if (b.label === 'CERTIFICATE') pub = new X509Certificate(b.pem).publicKey;
    else if (b.label.endsWith('PUBLIC KEY')) pub = createPublicKey(b.pem);
    else if (b.label.endsWith('PRIVATE KEY')) pub = createPublicKey(createPrivateKey(b.pem));
    if (pub) keys.push({ key: pub, alg: algorithmOf(pub), kid: keyId(pub) });
  }
  if (keys.length === 0) throw new Error(`${file}: no public keys, private keys or certificates`);
  return keys;
}

/** A fresh EC P-256 key, kept in memory only. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { key: privateKey, alg: 'ES256', kid: keyId(publicKey) };
}

export function verificationKeyOf(k: SigningKey): VerificationKey {
  const pub = createPublicKey(k.key);
  return { key: pub, alg: k.alg, kid: k.kid };
}
