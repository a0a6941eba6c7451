// For the tests that keep generated gRPC types honest (CRI, etcd): the proto-loader-gen-types command
// line of an npm script, a regeneration into a temporary directory, and the files of a tree.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

/** The proto-loader-gen-types arguments of an npm script (`gen:cri`, `gen:etcd`). */
export function generatorArgs(script: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const gen = pkg.scripts[script].split('&&').map((s) => s.trim()).find((s) => s.startsWith('proto-loader-gen-types '));
  if (!gen) throw new Error(`${script} does not run proto-loader-gen-types`);
  return gen.split(/\s+/).slice(1);
}

/** Every file below dir, by relative path, with its text. */
export function treeFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** What the script generates today (into a temporary dir instead of `generated`) and what is committed there. */
export function regenerate(script: string, generated: string): { want: Map<string, string>; have: Map<string, string> } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-gen-'));
  try {
    const args = generatorArgs(script).map((a) => (a === generated ? tmp : a));
    if (!args.includes(tmp)) throw new Error(`${script} does not write ${generated}`);
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'proto-loader-gen-types'), args, { cwd: ROOT, stdio: 'pipe' });
    return { want: treeFiles(tmp), have: treeFiles(path.join(ROOT, generated)) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
