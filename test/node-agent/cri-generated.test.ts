// The CRI message types in node-agent/runtime/cri/generated/ are what `npm run gen:cri` makes of the
// .proto files today (an edited .proto without a regeneration fails here), and the generator's flags
// match the options the CRI client loads the .proto files with, so the types describe the real objects.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOAD_OPTIONS } from '../../node-agent/runtime/cri/cri-runtime';

const root = path.join(__dirname, '..', '..');
const GENERATED = 'node-agent/runtime/cri/generated';

/** The proto-loader-gen-types command line of the npm script, as arguments. */
function generatorArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const gen = pkg.scripts['gen:cri'].split('&&').map((s) => s.trim()).find((s) => s.startsWith('proto-loader-gen-types '));
  if (!gen) throw new Error('gen:cri does not run proto-loader-gen-types');
  return gen.split(/\s+/).slice(1);
}

function files(dir: string): Map<string, string> {
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

test('the committed generated types are up to date with the .proto files', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-gen-cri-'));
  try {
    const args = generatorArgs().map((a) => (a === GENERATED ? tmp : a));
    expect(args).toContain(tmp);
    execFileSync(path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types'), args, { cwd: root, stdio: 'pipe' });
    const want = files(tmp);
    const have = files(path.join(root, GENERATED));
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [f, text] of want) expect({ file: f, text: have.get(f) }).toEqual({ file: f, text });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("the generator's flags are the client's load options", () => {
  const args = generatorArgs();
  expect(args.includes('--keepCase')).toBe(LOAD_OPTIONS.keepCase);
  expect(args.includes('--defaults')).toBe(LOAD_OPTIONS.defaults);
  expect(args.includes('--oneofs')).toBe(LOAD_OPTIONS.oneofs);
  expect(args).toContain(`--longs=${LOAD_OPTIONS.longs.name}`);
  expect(args).toContain(`--enums=${LOAD_OPTIONS.enums.name}`);
});
