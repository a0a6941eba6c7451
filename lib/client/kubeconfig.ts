// Writes a kubeconfig that kubectl and @kubernetes/client-node both accept for a steer apiserver.
// client-node refuses http:// servers unless the cluster has insecure-skip-tls-verify: true
// (kubectl-protocol.md §0.7), so it is always set.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

export interface KubeconfigOptions {
  server: string;
  token?: string;
  namespace?: string;
  /** Names of the cluster, user and context (default "steer"). */
  name?: string;
}

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  const name = opts.name ?? 'steer';
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: opts.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: opts.token ? { token: opts.token } : {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  };
  return yaml.dump(doc);
}

export function writeKubeconfig(file: string, opts: KubeconfigOptions): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, kubeconfigYaml(opts), { mode: 0o600 });
}
