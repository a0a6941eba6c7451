// The `steer` binary: one subcommand per component (apiserver, scheduler, controllers, node-agent),
// the single-node `up`/`down`, and kubectl-style client verbs. Each component registers its own
// subcommand from its folder's command.ts, so this file only wires them together.
//
// Start-up cost matters for client verbs (each `steer get` is a new process): a component's module
// graph (express and LevelDB, gRPC and protobufjs, the controllers) is loaded only when its subcommand
// is the one run. Help, an unknown verb or no verb loads everything so commander can list it all.
import { Command } from 'commander';

type Register = (program: Command) => void;

/** Which module registers which top-level subcommands. */
const registrars: Array<{ verbs: string[]; load: () => Promise<Register> }> = [
  { verbs: ['apiserver'], load: async () => (await import('../apiserver')).registerCommand },
  { verbs: ['scheduler'], load: async () => (await import('../scheduler')).registerCommand },
  { verbs: ['controllers'], load: async () => (await import('../controllers')).registerCommand },
  { verbs: ['node-agent'], load: async () => (await import('../node-agent')).registerCommand },
  { verbs: ['runtime'], load: async () => (await import('../node-agent')).registerRuntimeCommand },
  { verbs: ['up', 'down', 'server', 'certs', 'etcd', 'storage'], load: async () => (await import('./cluster/command')).register },
  { verbs: [], load: async () => (await import('./command')).register }, // client verbs: everything else
];

// kubectl's global flags, which kubectl users also put before the verb (`kubectl -n kube-system get pods`).
const leadingValueFlags = new Set(['-n', '--namespace', '-s', '--server', '--kubeconfig', '--context']);
const leadingBoolFlags = new Set(['-A', '--all-namespaces']);

/**
 * Moves client flags given before the verb to the end, where the verb (whose option they are) parses
 * them: `steer -n x get pods` runs as `steer get pods -n x`. Anything else is left as it is.
 */
export function normalizeArgv(argv: string[]): string[] {
  const rest = argv.slice(2);
  const moved: string[] = [];
  let i = 0;
  while (i < rest.length && rest[i].startsWith('-')) {
    const arg = rest[i];
    const name = arg.split('=')[0];
    const width = leadingValueFlags.has(name) ? (arg.includes('=') ? 1 : 2) : leadingBoolFlags.has(arg) ? 1 : 0;
    if (width === 0 || i + width > rest.length) break;
    moved.push(...rest.slice(i, i + width));
    i += width;
  }
  if (moved.length === 0 || i >= rest.length || rest[i].startsWith('-')) return argv;
  // Before a `--`: what follows it is the verb's arguments (exec's command), not flags.
  const tail = rest.slice(i);
  const dashes = tail.indexOf('--');
  if (dashes >= 0) return [...argv.slice(0, 2), ...tail.slice(0, dashes), ...moved, ...tail.slice(dashes)];
  return [...argv.slice(0, 2), ...tail, ...moved];
}

/** The subcommand argv names (its first word that is not an option), if any. */
export function verbOf(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/** The registrars a run needs: the one owning the verb, or all of them (help, unknown verb). */
async function registrarsFor(verb: string | undefined): Promise<Register[]> {
  const owner = verb === undefined || verb === 'help' ? undefined : registrars.find((r) => r.verbs.includes(verb));
  if (owner) return [await owner.load()];
  if (verb !== undefined && verb !== 'help') {
    const clientVerbs = registrars[registrars.length - 1];
    const register = await clientVerbs.load();
    const probe = new Command();
    register(probe);
    if (probe.commands.some((c) => c.name() === verb || c.aliases().includes(verb))) return [register];
  }
  return Promise.all(registrars.map((r) => r.load()));
}

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('steer')
    .description('steer: a Kubernetes-compatible declarative container orchestrator')
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const register of await registrarsFor(verbOf(argv))) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const args = normalizeArgv(argv);
  await (await buildProgram(args)).parseAsync(args);
}

// Run directly (`node dist/cli/main.js …`) as bin/steer.js runs it, rather than loading and doing nothing.
if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
