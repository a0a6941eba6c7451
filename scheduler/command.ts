// Registers `steer scheduler`. Placeholder until the scheduler issue lands its real entry point here.
import { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('scheduler')
    .description('scheduler (not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new Error('steer scheduler is not built yet');
    });
}
