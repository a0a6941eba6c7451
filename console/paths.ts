// Where the console's files are: the browser sources (console/web/) and the bundle built from them
// (dist/console/web/), both found from the package root, so the same paths hold whether this code runs
// from the source tree (tests, ts-jest) or from dist/ (the steer binary).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder holding steer's package.json, found upward from this file. */
export function consolePackageRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** The browser sources: main.tsx, index.html and the rest. */
export function consoleSourceDir(root = consolePackageRoot()): string {
  return path.join(root, 'console', 'web');
}

/** The bundle `npm run build` writes and the apiserver serves at /ui/. */
export function consoleAssetsDir(root = consolePackageRoot()): string {
  return path.join(root, 'dist', 'console', 'web');
}
