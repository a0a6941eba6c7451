// Registers `steer node-agent`. Placeholder until the node-agent issue lands its real entry point here.
import { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('node-agent')
    .description('node-agent (not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new Error('steer node-agent is not built yet');
    });
}
