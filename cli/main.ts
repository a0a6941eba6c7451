// The `steer` binary: one subcommand per component (apiserver, scheduler, controllers, node-agent),
// the single-node `up`/`down`, and kubectl-style client verbs. Each component registers its own
// subcommand from its folder's command.ts, so this file only wires them together.
import { Command } from 'commander';
import { register as registerApiserver } from '../apiserver/command';
import { register as registerScheduler } from '../scheduler/command';
import { register as registerControllers } from '../controllers/command';
import { register as registerNodeAgent } from '../node-agent/command';
import { register as registerRuntime } from '../node-agent/runtime-setup-command';
import { register as registerClientVerbs } from './command';

export function buildProgram(): Command {
  const program = new Command('steer')
    .description('steer: a Kubernetes-compatible declarative container orchestrator')
    .showHelpAfterError()
    .enablePositionalOptions();
  registerApiserver(program);
  registerScheduler(program);
  registerControllers(program);
  registerNodeAgent(program);
  registerRuntime(program);
  registerClientVerbs(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
