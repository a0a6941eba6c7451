// The compiled CLI module run directly (`node dist/cli/main.js …`) behaves as bin/steer.js: it runs the
// command and exits 1 with the error on a failure, rather than loading and exiting 0 having done nothing.
// dist/ is built by the README's test command before the tests.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const entry = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const describeIfBuilt = fs.existsSync(entry) ? describe : describe.skip;

describeIfBuilt('node dist/cli/main.js', () => {
  test('runs the command it is given', () => {
    const r = spawnSync(process.execPath, [entry, 'version', '--client'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Client Version: steer v/);
  });

  test('exits 1 with the error when the command fails', () => {
    const r = spawnSync(process.execPath, [entry, 'get', 'pods', '--kubeconfig', '/nonexistent/kubeconfig'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent/kubeconfig');
  });
});
