// A throw-away PKI for tests: a CA, an apiserver serving certificate for 127.0.0.1/localhost, client
// certificates for named identities, and files for each in a temporary directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertKeyPem, createCA, issueCertificate, writeCertKey } from '../../lib/component/pki';

export interface TestPki {
  dir: string;
  ca: CertKeyPem;
  caFile: string;
  serving: CertKeyPem;
  servingCertFile: string;
  servingKeyFile: string;
  /** A client certificate signed by the CA (files written as <name>.crt/.key in dir). */
  client(name: string, groups?: string[]): Promise<CertKeyPem & { certFile: string; keyFile: string }>;
  cleanup(): void;
}

export async function makeTestPki(extraServingNames: { dnsNames?: string[]; ipAddresses?: string[] } = {}): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-test-pki-'));
  const ca = await createCA('steer-test-ca');
  writeCertKey(dir, 'ca', ca);
  const serving = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', ...(extraServingNames.dnsNames ?? [])],
    ipAddresses: ['127.0.0.1', ...(extraServingNames.ipAddresses ?? [])],
    usage: 'server',
  });
  writeCertKey(dir, 'serving', serving);
  let n = 0;
  return {
    dir,
    ca,
    caFile: path.join(dir, 'ca.crt'),
    serving,
    servingCertFile: path.join(dir, 'serving.crt'),
    servingKeyFile: path.join(dir, 'serving.key'),
    async client(name, groups = []) {
      const pair = await issueCertificate(ca, { commonName: name, organizations: groups, usage: 'client' });
      const base = `client-${n++}`;
      writeCertKey(dir, base, pair);
      return { ...pair, certFile: path.join(dir, `${base}.crt`), keyFile: path.join(dir, `${base}.key`) };
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
