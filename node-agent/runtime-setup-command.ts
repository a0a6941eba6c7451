// Registers `steer runtime setup|teardown`. Placeholder until the node-agent runtime setup lands.
import { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('runtime')
    .description('container runtime setup (not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new Error('steer runtime is not built yet');
    });
}
