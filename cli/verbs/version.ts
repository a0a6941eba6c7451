// `steer version`: the client's version, and the server's /version (as kubectl prints both).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { KubeClient } from '../../lib/client/client';
import { action, describeError } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, withClient, withClientOptions } from '../options';
import { packageRoot } from '../package-root';

interface VersionInfo {
  major?: string;
  minor?: string;
  gitVersion?: string;
  platform?: string;
}

/** steer's version, from its package.json. */
export function clientVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function printClientVersion(streams: Streams): void {
  streams.out(`Client Version: steer v${clientVersion()} (node ${process.version}, ${process.platform}/${process.arch})\n`);
}

export async function printServerVersion(client: KubeClient, streams: Streams): Promise<void> {
  try {
    const v = await client.request<VersionInfo>('GET', '/version');
    streams.out(`Server Version: ${v.gitVersion || `v${v.major}.${v.minor}`}${v.platform ? ` (${v.platform})` : ''}\n`);
  } catch (err) {
    streams.err(describeError(err) + '\n');
    throw err;
  }
}

export function register(program: Command): void {
  withClientOptions(program.command('version').description('print the client and server versions').option('--client', 'the client version only')).action(
    action(async (o: ClientFlags & { client?: boolean }) => {
      printClientVersion(processStreams);
      if (!o.client) await withClient(o, (client) => printServerVersion(client, processStreams));
    }),
  );
}
