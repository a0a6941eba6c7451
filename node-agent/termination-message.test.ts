// Termination messages: the file per start, read once after the exit (first 4096 bytes), the log tail
// fallback on a failure with an empty file, and the cache following what is observed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import type { ObservedContainer, ObservedPod } from './observed';
import { logTail, prepareTerminationMessageFile, TerminationMessages, terminationMessageFile } from './termination-message';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-termination-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const pod = (policy?: string): Pod => ({
  metadata: { name: 'p', uid: 'u1' },
  spec: { containers: [{ name: 'app', image: 'x', terminationMessagePath: '/dev/termination-log', ...(policy ? { terminationMessagePolicy: policy } : {}) }] },
});

function exited(id: string, attempt: number, exitCode: number, logPath = ''): ObservedContainer {
  return { id, podSandboxId: 's', name: 'app', init: false, ephemeral: false, attempt, state: 'CONTAINER_EXITED', createdAt: 1, startedAt: 1, finishedAt: 2, exitCode, reason: 'Error', message: '', image: 'x', imageRef: 'x', hash: '', logPath };
}
const observed = (...containers: ObservedContainer[]): ObservedPod => ({ uid: 'u1', sandboxes: [], containers });

test('logTail: the last lines, then at most the last bytes', () => {
  expect(logTail('a\nb\nc\n', 2)).toBe('b\nc\n');
  expect(logTail('a\nb\nc\n', 80, 3)).toBe('\nc\n');
  expect(logTail('', 80)).toBe('');
});

test('the file is created empty and writable by anyone; what the container wrote is its message, read once', async () => {
  const file = terminationMessageFile(dir, 'u1', 'app', 0);
  await prepareTerminationMessageFile(file);
  expect([fs.readFileSync(file, 'utf8'), fs.statSync(file).mode & 0o777]).toEqual(['', 0o666]);
  fs.writeFileSync(file, 'bye\n' + 'x'.repeat(5000));
  const tm = new TerminationMessages(dir);
  const first = await tm.fill(pod(), observed(exited('c0', 0, 3)));
  expect(first.containers[0].message).toBe('bye\n' + 'x'.repeat(4092));
  fs.writeFileSync(file, 'changed');
  expect((await tm.fill(pod(), observed(exited('c0', 0, 3)))).containers[0].message).toBe('bye\n' + 'x'.repeat(4092));
  // An instance no longer observed is forgotten: read again if it came back.
  await tm.fill(pod(), observed());
  expect((await tm.fill(pod(), observed(exited('c0', 0, 3)))).containers[0].message).toBe('changed');
});

test('FallbackToLogsOnError: an empty file and a failure give the end of the log; a success or File policy do not', async () => {
  const log = path.join(dir, 'app.log');
  const lines = Array.from({ length: 100 }, (_, i) => `2026-12-05T10:00:00.000000000Z stdout F line ${i}`);
  fs.writeFileSync(log, lines.join('\n') + '\n');
  await prepareTerminationMessageFile(terminationMessageFile(dir, 'u1', 'app', 1));
  const tm = new TerminationMessages(dir);
  const failed = await tm.fill(pod('FallbackToLogsOnError'), observed(exited('c1', 1, 2, log)));
  const want = Array.from({ length: 80 }, (_, i) => `line ${i + 20}\n`).join('');
  expect(failed.containers[0].message).toBe(want.slice(want.length - 2048));
  expect((await new TerminationMessages(dir).fill(pod('FallbackToLogsOnError'), observed(exited('c1', 1, 0, log)))).containers[0].message).toBe('');
  expect((await new TerminationMessages(dir).fill(pod('File'), observed(exited('c1', 1, 2, log)))).containers[0].message).toBe('');
});
