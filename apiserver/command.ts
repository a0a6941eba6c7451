// Registers `steer apiserver`. Placeholder until the apiserver issue lands its real entry point here.
import { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('apiserver')
    .description('apiserver (not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new Error('steer apiserver is not built yet');
    });
}
