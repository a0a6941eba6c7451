// The web console's face: the handler the apiserver mounts at /ui/ (ApiServerOptions.console) and the
// build of its browser bundle (npm run build, tests, bench/console.ts).
export { consoleHandler } from './handler';
export type { ConsoleHandlerOptions } from './handler';
export { buildConsole } from './build';
export type { BuildConsoleOptions, BuiltConsole } from './build';
export { consoleAssetsDir, consoleSourceDir } from './paths';
