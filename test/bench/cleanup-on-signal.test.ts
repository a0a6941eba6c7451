// A benchmark interrupted by SIGINT or SIGTERM removes what it started (bench/bench-cluster.ts
// cleanupOnSignal): Node's default would exit without running the benchmark's own teardown. Run in a
// child process of the built bench module, as the benchmarks run.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const benchCluster = path.resolve(__dirname, '../../dist/bench/bench-cluster.js');

async function interrupted(signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; cleaned: string[]; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-bench-signal-'));
  try {
    const script = `
      const fs = require('fs');
      const { cleanupOnSignal } = require(${JSON.stringify(benchCluster)});
      // Registered and unregistered before any other: the handlers stay installed once.
      cleanupOnSignal(async () => undefined)();
      cleanupOnSignal(async () => { await new Promise((r) => setTimeout(r, 100)); fs.writeFileSync(${JSON.stringify(path.join(dir, 'slow'))}, ''); });
      cleanupOnSignal(async () => { throw new Error('a failing cleanup does not stop the others'); });
      const unregister = cleanupOnSignal(async () => fs.writeFileSync(${JSON.stringify(path.join(dir, 'unregistered'))}, ''));
      unregister();
      cleanupOnSignal(async () => fs.writeFileSync(${JSON.stringify(path.join(dir, 'fast'))}, ''));
      process.stdout.write('ready\\n');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`exited ${code} before it was ready: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill(signal);
    const code = await exited;
    return { code, cleaned: fs.readdirSync(dir).sort(), stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)('%s runs every registered cleanup to its end, then exits %i', async (signal, exitCode) => {
  const r = await interrupted(signal);
  expect(r.code).toBe(exitCode);
  expect(r.cleaned).toEqual(['fast', 'slow']);
  // Once: the handlers are installed once per process, however cleanups come and go.
  expect(r.stderr.split(`${signal}: removing what the benchmark started`)).toHaveLength(2);
});
