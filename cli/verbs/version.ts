// `steer version`: the client's version, and the server's /version (as kubectl prints both).
import { KubeClient } from '../../lib/client/client';
import { describeError } from '../errors';
import { Streams } from '../io';

interface VersionInfo {
  major?: string;
  minor?: string;
  gitVersion?: string;
  platform?: string;
}

export function clientVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('../../../package.json') as { version: string };
  return pkg.version;
}

export async function runVersion(client: (() => KubeClient) | undefined, streams: Streams): Promise<void> {
  streams.out(`Client Version: steer v${clientVersion()} (node ${process.version}, ${process.platform}/${process.arch})\n`);
  if (!client) return;
  const c = client();
  try {
    const v = await c.request<VersionInfo>('GET', '/version');
    streams.out(`Server Version: ${v.gitVersion || `v${v.major}.${v.minor}`}${v.platform ? ` (${v.platform})` : ''}\n`);
  } catch (err) {
    streams.err(describeError(err) + '\n');
    throw err;
  } finally {
    c.close();
  }
}
