// `steer cp SRC DEST`: files between the machine and a container, as kubectl cp — one side is
// `[NAMESPACE/]POD:PATH` — with tar on both ends through pods/exec. To the pod, the tar stream is counted
// (`head -c N | tar x`) so tar sees its end even when the session cannot half-close stdin (WebSocket v4,
// all containerd 1.6 speaks); from the pod, `tar cf -` on stdout. The container needs tar (busybox has it).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { KubeClient } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { exitCodeOf, runRemoteCommand } from '../remote-command';
import { resolveLogsPod } from './logs';
import { sessionContainer } from './exec';

export interface RemoteSpec {
  namespace?: string;
  pod: string;
  path: string;
}

/** `pod:path` or `ns/pod:path`; undefined for a local path (kubectl: a colon after a path separator is local). */
export function parseRemote(arg: string): RemoteSpec | undefined {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.slice(0, colon).split('/').length > 2 || arg.startsWith('/') || arg.startsWith('.')) return undefined;
  const left = arg.slice(0, colon);
  const file = arg.slice(colon + 1);
  if (!file) throw new Error('filepath can not be empty');
  const [a, b] = left.split('/');
  return b === undefined ? { pod: a, path: file } : { namespace: a, pod: b, path: file };
}

function localTar(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`tar: ${err.trim() || `exit ${code}`}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

async function execIn(client: KubeClient, namespace: string, pod: string, container: string, command: string[], stdin?: Buffer): Promise<{ code: number | undefined; stdout: Buffer; stderr: string }> {
  const query = new URLSearchParams();
  for (const c of command) query.append('command', c);
  query.set('container', container);
  query.set('stdout', 'true');
  query.set('stderr', 'true');
  if (stdin) query.set('stdin', 'true');
  const out: Buffer[] = [];
  let err = '';
  const stdout = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough();
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const status = await runRemoteCommand(client, resourcePath(Resources.pods, { namespace, name: pod, subresource: 'exec' }), query, {
    stdin: stdin ? Readable.from(chunks(stdin)) : undefined,
    stdout,
    stderr,
  });
  return { code: exitCodeOf(status), stdout: Buffer.concat(out), stderr: err };
}

function* chunks(b: Buffer, size = 256 * 1024): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function runCp(client: KubeClient, namespace: string, src: string, dest: string, container: string | undefined, streams: Streams): Promise<void> {
  const from = parseRemote(src);
  const to = parseRemote(dest);
  if ((from && to) || (!from && !to)) throw new Error('one of src or dest must be a local file specification');
  const remote = (from ?? to)!;
  const ns = remote.namespace ?? namespace;
  const pod = await resolveLogsPod(client, ns, remote.pod, streams);
  const name = pod.metadata!.name!;
  const c = sessionContainer(pod, container, streams);
  if (to) {
    if (!fs.existsSync(src)) throw new Error(`${src} doesn't exist in local filesystem`);
    const srcBase = path.basename(path.resolve(src));
    // Into a directory that exists, under the source's name; else as the destination's name.
    const isDir = (await execIn(client, ns, name, c, ['test', '-d', to.path])).code === 0;
    const dir = isDir ? to.path : path.posix.dirname(to.path);
    const base = isDir ? srcBase : path.posix.basename(to.path);
    const tar = await localTar(['cf', '-', '-C', path.dirname(path.resolve(src)), `--transform=s,^${srcBase.replace(/[,\\]/g, '\\$&')},${base.replace(/[,\\&]/g, '\\$&')},`, srcBase]);
    const r = await execIn(client, ns, name, c, ['sh', '-c', `head -c ${tar.length} | tar -xmf - -C ${quote(dir)}`], tar);
    if (r.code !== 0) throw new Error(r.stderr.trim() || `copying to ${name}:${to.path} failed`);
    return;
  }
  const srcPath = from!.path;
  const r = await execIn(client, ns, name, c, ['tar', 'cf', '-', '-C', path.posix.dirname(srcPath), path.posix.basename(srcPath)]);
  if (r.code !== 0) throw new Error(r.stderr.trim() || `copying from ${name}:${srcPath} failed`);
  const localIsDir = fs.existsSync(dest) && fs.statSync(dest).isDirectory();
  const dir = localIsDir ? dest : path.dirname(path.resolve(dest));
  const srcBase = path.posix.basename(srcPath);
  const base = localIsDir ? srcBase : path.basename(dest);
  await localTar(['xf', '-', '-C', dir, `--transform=s,^${srcBase.replace(/[,\\]/g, '\\$&')},${base.replace(/[,\\&]/g, '\\$&')},`], r.stdout);
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('cp')
      .description('copy files to and from containers')
      .argument('<src>', 'LOCAL or [NAMESPACE/]POD:PATH')
      .argument('<dest>', 'LOCAL or [NAMESPACE/]POD:PATH')
      .option('-c, --container <name>', 'the container (default: the only or first one)'),
  ).action(
    action(async (src: string, dest: string, o: ClientFlags & { container?: string }) => {
      await withClient(o, (client) => runCp(client, namespaceOf(client, o), src, dest, o.container, processStreams));
    }),
  );
}
