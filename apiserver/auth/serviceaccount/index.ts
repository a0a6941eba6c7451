// Service-account tokens for one apiserver: its signing key and verification keys, issuers and
// audiences (from --service-account-* and --api-audiences), the authenticator built on its storage, and
// the TokenRequest configuration the serviceaccounts/token subresource reads. startApiServer makes one
// per server and attaches it to the server's registry, which is what the subresource handler gets.
import type { Registry } from '../../registry/registry';
import type { Storage } from '../../storage/types';
import { bucketOf, keyOf } from '../../registry/keys';
import { Resources, type ResourceType } from '../../../lib/api/resources';
import { type BoundKind, ServiceAccountTokenAuthenticator } from './authenticator';
import { generateSigningKey, loadSigningKey, loadVerificationKeys, type SigningKey, type VerificationKey, verificationKeyOf } from './keys';
import type { TokenRequestConfig } from './token-request';
import { DEFAULT_ISSUER, EXPIRATION_EXTENSION_SECONDS } from './tokens';

export interface ServiceAccountTokenOptions {
  /** --service-account-signing-key-file; omitted: a key generated in memory. */
  signingKeyFile?: string;
  /** --service-account-key-file (repeatable): more public keys that verify tokens. */
  keyFiles?: string[];
  /** --service-account-issuer: the first issues, all are accepted (default https://kubernetes.default.svc.cluster.local). */
  issuers?: string[];
  /** --api-audiences (default: the issuer). */
  audiences?: string[];
  /** --service-account-max-token-expiration in seconds (0 or omitted: none). */
  maxTokenExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (default true). */
  extendTokenExpiration?: boolean;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

export class ServiceAccountTokens {
  readonly signingKey: SigningKey;
  readonly verificationKeys: VerificationKey[];
  readonly issuers: string[];
  readonly audiences: string[];
  readonly tokenRequest: TokenRequestConfig;

  constructor(private readonly o: ServiceAccountTokenOptions = {}) {
    this.signingKey = o.signingKeyFile ? loadSigningKey(o.signingKeyFile) : generateSigningKey();
    this.verificationKeys = [verificationKeyOf(this.signingKey), ...(o.keyFiles ?? []).flatMap((f) => loadVerificationKeys(f))];
    this.issuers = o.issuers && o.issuers.length ? [...o.issuers] : [DEFAULT_ISSUER];
    this.audiences = o.audiences && o.audiences.length ? [...o.audiences] : [this.issuers[0]];
    const max = o.maxTokenExpirationSeconds ?? 0;
    if (max < 0) throw new Error('--service-account-max-token-expiration must be positive');
    if (max > 0 && max < 3600) throw new Error('--service-account-max-token-expiration must be at least one hour');
    this.tokenRequest = {
      signingKey: this.signingKey,
      issuer: this.issuers[0],
      audiences: this.audiences,
      maxExpirationSeconds: max,
      extendExpiration: o.extendTokenExpiration ?? true,
      // kube-apiserver: the extension is capped by the maximum expiration when that is shorter.
      maxExtendedExpirationSeconds: max > 0 && max < EXPIRATION_EXTENSION_SECONDS ? max : EXPIRATION_EXTENSION_SECONDS,
      now: o.now,
    };
  }

  /** The bearer-token authenticator for tokens of these issuers, reading bound objects from storage. */
  authenticator(storage: Storage): ServiceAccountTokenAuthenticator {
    const types: Record<BoundKind, ResourceType> = { serviceaccounts: Resources.serviceaccounts, pods: Resources.pods, secrets: Resources.secrets, nodes: Resources.nodes };
    return new ServiceAccountTokenAuthenticator({
      issuers: this.issuers,
      keys: this.verificationKeys,
      audiences: this.audiences,
      now: this.o.now,
      getter: async (kind, namespace, name) => (await storage.get(bucketOf(types[kind]), keyOf(types[kind], namespace, name)))?.obj,
    });
  }
}

// The registry a request reaches is the one handle every handler gets; the token subresource finds the
// server's token configuration through it.
const attached = new WeakMap<Registry, ServiceAccountTokens>();

export function attachServiceAccountTokens(registry: Registry, tokens: ServiceAccountTokens): void {
  attached.set(registry, tokens);
}

export function serviceAccountTokensOf(registry: Registry): ServiceAccountTokens | undefined {
  return attached.get(registry);
}

export { ServiceAccountTokenAuthenticator } from './authenticator';
export { createTokenRequest } from './token-request';
export * from './tokens';
