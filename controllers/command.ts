// Registers `steer controllers`. Placeholder until the controllers issue lands its real entry point here.
import { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('controllers')
    .description('controllers (not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new Error('steer controllers is not built yet');
    });
}
