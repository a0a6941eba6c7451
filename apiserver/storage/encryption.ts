// Encryption at rest, as kube-apiserver's --encryption-provider-config reads it: an
// apiserver.config.k8s.io/v1 EncryptionConfiguration (YAML or JSON) lists, per group of resources, an
// ordered list of providers. The first provider encrypts every new write; all of them decrypt, chosen by
// the prefix the value was written with — `k8s:enc:<provider>:v1:<key name>:` — so keys rotate by adding
// a new key (or provider) first: new writes use it, old values stay readable, and rewriting an object
// (kubectl get secrets -A -o json | kubectl replace -f -) re-encrypts it. Providers: aesgcm (AES-GCM,
// 12-byte random nonce, the storage key as additional data), aescbc (AES-CBC, random IV, PKCS#7) and
// identity (plain, no prefix: only readable when identity is listed). Node's crypto does the ciphers;
// secretbox and kms are refused with an explicit message.
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';

/** Turns stored values into encrypted bytes and back; `context` is the storage key (authenticated by AES-GCM). */
export interface ValueTransformer {
  /** True when new values of this bucket are encrypted. */
  covers(bucket: string): boolean;
  /**
   * True when the configuration names this bucket at all (identity first included): a value read back
   * may be stored by another provider than the first, which only a rewrite moves to it.
   */
  configures(bucket: string): boolean;
  toStorage(bucket: string, context: string, plain: Buffer): Buffer;
  fromStorage(bucket: string, context: string, stored: Buffer): Buffer;
}

interface Provider {
  /** The prefix its values start with ('' for identity). */
  prefixes: string[];
  encrypt(plain: Buffer, context: string): Buffer;
  /** Decrypts a value that starts with one of its prefixes. */
  decrypt(stored: Buffer, context: string): Buffer;
}

interface ResourceEntry {
  resources: string[];
  providers: Provider[];
}

const ENC_PREFIX = 'k8s:enc:';

function keyBytes(provider: string, name: string, secret: unknown, sizes: number[]): Buffer {
  if (typeof secret !== 'string' || secret === '') throw new Error(`${provider} key "${name}": secret is required`);
  const b = Buffer.from(secret, 'base64');
  if (b.toString('base64').replace(/=+$/, '') !== secret.replace(/=+$/, '')) throw new Error(`${provider} key "${name}": secret is not valid base64`);
  if (!sizes.includes(b.length)) throw new Error(`${provider} key "${name}": secret is not of the expected length, got ${b.length}, expected one of ${sizes.join(', ')}`);
  return b;
}

interface NamedKey {
  name: string;
  key: Buffer;
}

function readKeys(provider: string, cfg: unknown, sizes: number[]): NamedKey[] {
  const keys = cfg && typeof cfg === 'object' ? (cfg as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${provider}: keys are required`);
  const seen = new Set<string>();
  return keys.map((k: unknown) => {
    const { name, secret } = (k ?? {}) as { name?: unknown; secret?: unknown };
    if (typeof name !== 'string' || !name) throw new Error(`${provider}: every key needs a name`);
    if (name.includes(':')) throw new Error(`${provider} key "${name}": the name may not contain ":"`);
    if (seen.has(name)) throw new Error(`${provider}: key "${name}" appears twice`);
    seen.add(name);
    return { name, key: keyBytes(provider, name, secret, sizes) };
  });
}

function gcmCipher(key: Buffer): CipherGCMTypes {
  return `aes-${key.length * 8}-gcm` as CipherGCMTypes;
}

function cbcCipher(key: Buffer): string {
  return `aes-${key.length * 8}-cbc`;
}

/** The provider whose prefix the value starts with, and which of its keys wrote it. */
function keyedProvider(kind: string, keys: NamedKey[], seal: (k: Buffer, plain: Buffer, context: string) => Buffer, open: (k: Buffer, data: Buffer, context: string) => Buffer): Provider {
  const prefixOf = (k: NamedKey) => `${ENC_PREFIX}${kind}:v1:${k.name}:`;
  return {
    prefixes: keys.map(prefixOf),
    encrypt(plain, context) {
      const k = keys[0];
      return Buffer.concat([Buffer.from(prefixOf(k)), seal(k.key, plain, context)]);
    },
    decrypt(stored, context) {
      for (const k of keys) {
        const p = prefixOf(k);
        if (stored.subarray(0, p.length).toString('latin1') === p) return open(k.key, stored.subarray(p.length), context);
      }
      throw new Error(`no ${kind} key for the value's prefix`);
    },
  };
}

function aesgcm(cfg: unknown): Provider {
  return keyedProvider(
    'aesgcm',
    readKeys('aesgcm', cfg, [16, 24, 32]),
    (key, plain, context) => {
      const nonce = randomBytes(12);
      const c = createCipheriv(gcmCipher(key), key, nonce);
      c.setAAD(Buffer.from(context));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    (key, data, context) => {
      if (data.length < 12 + 16) throw new Error('the stored data was shorter than the required size');
      const d = createDecipheriv(gcmCipher(key), key, data.subarray(0, 12));
      d.setAAD(Buffer.from(context));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
    },
  );
}

function aescbc(cfg: unknown): Provider {
  return keyedProvider(
    'aescbc',
    readKeys('aescbc', cfg, [16, 24, 32]),
    (key, plain) => {
      const iv = randomBytes(16);
      const c = createCipheriv(cbcCipher(key), key, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    (key, data) => {
      if (data.length < 32 || data.length % 16 !== 0) throw new Error('the stored data is not a multiple of the block size');
      const d = createDecipheriv(cbcCipher(key), key, data.subarray(0, 16));
      return Buffer.concat([d.update(data.subarray(16)), d.final()]);
    },
  );
}

const identity: Provider = {
  prefixes: [''],
  encrypt: (plain) => plain,
  decrypt: (stored) => stored,
};

function provider(p: unknown, where: string): Provider {
  if (!p || typeof p !== 'object') throw new Error(`${where}: a provider must be an object`);
  const kinds = Object.keys(p as object);
  if (kinds.length !== 1) throw new Error(`${where}: exactly one provider type must be set, got ${kinds.join(', ') || 'none'}`);
  const kind = kinds[0];
  const cfg = (p as Record<string, unknown>)[kind];
  switch (kind) {
    case 'aesgcm':
      return aesgcm(cfg);
    case 'aescbc':
      return aescbc(cfg);
    case 'identity':
      return identity;
    case 'secretbox':
      throw new Error(`${where}: the secretbox provider is not supported by steer; use aesgcm or aescbc`);
    case 'kms':
      throw new Error(`${where}: the kms provider is not supported by steer; use aesgcm or aescbc`);
    default:
      throw new Error(`${where}: unknown provider ${JSON.stringify(kind)}`);
  }
}

/** Whether a configured resource ("secrets", "deployments.apps", "*.apps", "*.", "*.*") names a storage bucket. */
function matches(pattern: string, bucket: string): boolean {
  const slash = bucket.indexOf('/');
  const group = slash < 0 ? '' : bucket.slice(0, slash);
  const resource = slash < 0 ? bucket : bucket.slice(slash + 1);
  if (pattern === '*.*') return true;
  const dot = pattern.indexOf('.');
  const pRes = dot < 0 ? pattern : pattern.slice(0, dot);
  const pGroup = dot < 0 ? '' : pattern.slice(dot + 1);
  if (pGroup !== group) return false;
  return pRes === '*' || pRes === resource;
}

export class EncryptionTransformer implements ValueTransformer {
  private readonly byBucket = new Map<string, ResourceEntry | null>();

  constructor(private readonly entries: ResourceEntry[]) {}

  private entryFor(bucket: string): ResourceEntry | undefined {
    let e = this.byBucket.get(bucket);
    if (e === undefined) {
      e = this.entries.find((x) => x.resources.some((r) => matches(r, bucket))) ?? null;
      this.byBucket.set(bucket, e);
    }
    return e ?? undefined;
  }

  covers(bucket: string): boolean {
    const e = this.entryFor(bucket);
    return !!e && e.providers[0] !== identity;
  }

  configures(bucket: string): boolean {
    return !!this.entryFor(bucket);
  }

  toStorage(bucket: string, context: string, plain: Buffer): Buffer {
    const e = this.entryFor(bucket);
    return e ? e.providers[0].encrypt(plain, context) : plain;
  }

  fromStorage(bucket: string, context: string, stored: Buffer): Buffer {
    const e = this.entryFor(bucket);
    const encrypted = stored.subarray(0, ENC_PREFIX.length).toString('latin1') === ENC_PREFIX;
    if (!e) {
      if (encrypted) throw new Error(`${context}: the value is encrypted but no encryption configuration covers ${bucket}`);
      return stored;
    }
    for (const p of e.providers) {
      if (p === identity) {
        if (!encrypted) return stored;
        continue;
      }
      if (p.prefixes.some((prefix) => stored.subarray(0, prefix.length).toString('latin1') === prefix)) return p.decrypt(stored, context);
    }
    throw new Error(`${context}: no provider of the encryption configuration can read the stored value (${encrypted ? 'unknown key or provider' : 'plain data, and identity is not listed'})`);
  }
}

/** Parses an EncryptionConfiguration (YAML or JSON text). */
export function parseEncryptionConfiguration(text: string, source = 'encryption configuration'): EncryptionTransformer {
  const doc = yaml.load(text, { schema: yaml.CORE_SCHEMA }) as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object') throw new Error(`${source}: not an object`);
  if (doc.kind !== 'EncryptionConfiguration') throw new Error(`${source}: kind must be EncryptionConfiguration, got ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== 'apiserver.config.k8s.io/v1') throw new Error(`${source}: apiVersion must be apiserver.config.k8s.io/v1, got ${JSON.stringify(doc.apiVersion)}`);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) throw new Error(`${source}: resources are required`);
  const seen = new Set<string>();
  const entries = doc.resources.map((r: unknown, i: number): ResourceEntry => {
    const where = `${source}: resources[${i}]`;
    const { resources, providers } = (r ?? {}) as { resources?: unknown; providers?: unknown };
    if (!Array.isArray(resources) || resources.length === 0 || resources.some((x) => typeof x !== 'string' || !x)) throw new Error(`${where}.resources: a list of resource names is required`);
    for (const res of resources as string[]) {
      if (seen.has(res)) throw new Error(`${where}.resources: ${res} appears in more than one entry`);
      seen.add(res);
    }
    if (!Array.isArray(providers) || providers.length === 0) throw new Error(`${where}.providers: at least one provider is required`);
    return { resources: resources as string[], providers: providers.map((p: unknown, j: number) => provider(p, `${where}.providers[${j}]`)) };
  });
  return new EncryptionTransformer(entries);
}

export function loadEncryptionConfiguration(file: string): EncryptionTransformer {
  return parseEncryptionConfiguration(fs.readFileSync(file, 'utf8'), file);
}
