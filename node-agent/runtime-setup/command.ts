// Registers `steer runtime setup|teardown`: the node runtime (containerd + CRI + CNI, the local
// registry and its images) as node-agent/runtime-setup/ builds it.
import { Command } from 'commander';
import { DEFAULT_BRIDGE, DEFAULT_POD_SUBNET, ensureRuntime, teardownRuntime } from '.';

const DEFAULT_STATE_DIR = '/var/lib/steer/runtime';

export function register(program: Command): void {
  const runtime = program.command('runtime').description('set up or tear down the node container runtime (containerd + CRI + CNI)');
  runtime
    .command('setup')
    .description('start (or reuse) containerd for a state dir, the local registry on 127.0.0.1:5000 and its images; prints the runtime as JSON')
    .option('--state-dir <dir>', 'runtime state directory', DEFAULT_STATE_DIR)
    .option('--node-name <name>', 'node name (recorded with the runtime)')
    .option('--pod-subnet <cidr>', 'pod subnet for the CNI bridge', DEFAULT_POD_SUBNET)
    .option('--bridge <name>', 'CNI bridge name (at most 15 characters)', DEFAULT_BRIDGE)
    .option('--registry-dir <dir>', 'state dir of the shared registry')
    .action(async (opts: { stateDir: string; nodeName?: string; podSubnet: string; bridge: string; registryDir?: string }) => {
      const info = await ensureRuntime({
        stateDir: opts.stateDir,
        nodeName: opts.nodeName,
        podSubnet: opts.podSubnet,
        bridge: opts.bridge,
        registryDir: opts.registryDir,
      });
      process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    });
  runtime
    .command('teardown')
    .description("remove the state dir's pods and stop its containerd; remove its bridge, CNI rules, cgroups and mounts")
    .option('--state-dir <dir>', 'runtime state directory', DEFAULT_STATE_DIR)
    .option('--stop-registry', 'also stop the shared registry on 127.0.0.1:5000', false)
    .option('--registry-dir <dir>', 'state dir of the shared registry')
    .action(async (opts: { stateDir: string; stopRegistry: boolean; registryDir?: string }) => {
      await teardownRuntime(opts.stateDir, { stopRegistry: opts.stopRegistry, registryDir: opts.registryDir });
    });
}
