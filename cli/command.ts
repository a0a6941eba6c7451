// Registers the kubectl-style client verbs and `steer up`/`down`. Placeholder until the CLI issue lands.
import { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the steer version')
    .action(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require('../../package.json') as { version: string };
      console.log(`steer ${pkg.version}`);
    });
}
