// The secure-serving flags every steer component shares (kube-scheduler's and kube-controller-manager's
// --tls-cert-file, --tls-private-key-file, --client-ca-file), and the SecureServingOptions they make:
// HTTPS with the given certificate (or a self-signed one made in memory, as those components do when
// none is given), client certificates of the client CA, bearer tokens checked by the apiserver
// (TokenReview) and every non-health request authorized by it (SubjectAccessReview), through the
// component's own client. --insecure-serving asks for plain HTTP without any of that.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { localHostNames, selfSignedServingCert, splitSANs } from './pki';
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator, type ReviewClient, type SecureServingOptions } from './secure-serving';

export interface ServingFlags {
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  insecureServing?: boolean;
}

export function withServingFlags(cmd: Command, what: string): Command {
  return cmd
    .option('--tls-cert-file <file>', `serving certificate of ${what} (default: self-signed, made at start)`)
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .option('--client-ca-file <file>', `client certificates signed by this CA may call ${what} (CN = user, O = groups)`)
    .option('--insecure-serving', `serve ${what} over plain HTTP without authentication or authorization`);
}

/** The secure serving the flags ask for; undefined with --insecure-serving. */
export async function servingFromFlags(f: ServingFlags, client: ReviewClient, commonName: string): Promise<SecureServingOptions | undefined> {
  if (f.insecureServing) return undefined;
  if (!!f.tlsCertFile !== !!f.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const pair = f.tlsCertFile
    ? { cert: fs.readFileSync(f.tlsCertFile, 'utf8'), key: fs.readFileSync(f.tlsPrivateKeyFile!, 'utf8') }
    : await selfSignedServingCert({ commonName, ...splitSANs(localHostNames()) });
  return {
    ...pair,
    clientCA: f.clientCaFile ? fs.readFileSync(f.clientCaFile, 'utf8') : undefined,
    tokens: tokenReviewAuthenticator(client),
    authorizer: subjectAccessReviewAuthorizer(client),
    anonymous: true,
  };
}
