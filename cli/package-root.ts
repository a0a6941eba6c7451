// Where steer's package lives (the repository, or the installed package): package.json, bin/, scripts/
// and manifests/ are there. Found by walking up from this file, so it is the same answer from the
// source tree (ts-jest runs cli/*.ts) and from the build (dist/cli/*.js).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package root: the nearest directory above this file holding package.json and bin/steer.js. */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin', 'steer.js'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find steer's package root above ${__dirname}`);
}
