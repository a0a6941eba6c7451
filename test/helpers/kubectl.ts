// The two kubectls the tests drive (tools/kubectl's 1.20 and the machine's current one, when it runs)
// and a runner bound to one kubeconfig, HOME and cache directory.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const KUBECTL_120 = path.join(__dirname, '..', '..', 'tools', 'kubectl', 'usr', 'bin', 'kubectl');

export function kubectlRuns(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  return spawnSync(bin, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } }).status === 0;
}

/** kubectl 1.20 always; /usr/bin/kubectl when it runs. `ns` is a name prefix for each. */
export function kubectlBinaries(prefix: string): Array<{ name: string; bin: string; ns: string }> {
  const out = [{ name: 'kubectl 1.20', bin: KUBECTL_120, ns: `${prefix}120` }];
  if (kubectlRuns('/usr/bin/kubectl')) out.push({ name: '/usr/bin/kubectl', bin: '/usr/bin/kubectl', ns: `${prefix}cur` });
  return out;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin` against a kubeconfig with its own HOME and cache under `home/ns`. */
export function kubectlRunner(bin: string, kubeconfig: () => string, home: () => string, ns: string): (...args: string[]) => Promise<KubectlResult> {
  return (...args) =>
    new Promise((resolve) => {
      const env = { ...process.env, HOME: path.join(home(), ns) };
      execFile(bin, ['--kubeconfig', kubeconfig(), '--cache-dir', path.join(home(), ns, 'cache'), ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
}
