// steer's own version is read from package.json wherever the code runs from: here the source tree
// (ts-jest), in the binary dist/ (both find the package root by walking up).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bufferStreams } from '../io';
import { clientVersion, printClientVersion } from './version';

describe('steer version', () => {
  it('reads the client version from the package root', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(clientVersion()).toBe(pkg.version);
    const s = bufferStreams();
    printClientVersion(s);
    expect(s.stdout).toBe(`Client Version: steer v${pkg.version} (node ${process.version}, ${process.platform}/${process.arch})\n`);
  });
});
