// `steer down [--purge]`: stops the `steer server` process `steer up` started (by its saved PID:
// SIGTERM, then SIGKILL after a grace period) and the etcd members under the state dir (by their PIDs),
// removes every pod sandbox and container through the
// runtime teardown (which also stops that state dir's containerd and removes its bridge, netns, cgroups
// and mounts), unmounts what is still mounted under the state directory (the node agent's tmpfs for
// memory-backed volumes), and with --purge deletes the state directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuntimeInfo, removeDnsRedirect, removeNetworkPolicyRules, removeProxyRules, teardownRuntime, unmountUnder } from '../../node-agent';
import { Streams } from '../io';
import { Progress } from '../progress';
import { readEtcdCluster, stopEtcd } from './etcd';
import { clusterPaths, isAlive, readJson, runningServerPid } from './state';

export interface DownOptions {
  stateDir?: string;
  purge: boolean;
  graceMs?: number;
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

export async function down(o: DownOptions, streams: Streams): Promise<void> {
  const paths = clusterPaths(o.stateDir);
  const progress = new Progress(streams);
  try {
    const pid = runningServerPid(paths);
    if (pid) {
      progress.update(`stopping steer server (PID ${pid})`);
      process.kill(pid, 'SIGTERM');
      if (!(await waitExit(pid, o.graceMs ?? 20_000))) {
        streams.err(`steer server did not stop within ${Math.round((o.graceMs ?? 20_000) / 1000)}s: killing it\n`);
        process.kill(pid, 'SIGKILL');
        await waitExit(pid, 5000);
      }
      progress.done(`✓ stopped steer server (PID ${pid})`);
    } else {
      streams.err('steer server is not running\n');
    }
    for (const f of [paths.pidFile, paths.serverInfo]) fs.rmSync(f, { force: true });
    if (readEtcdCluster(paths.etcd)) {
      progress.update('stopping etcd');
      const stopped = await stopEtcd(paths.etcd);
      progress.done(stopped.length ? `✓ stopped etcd (${stopped.join(', ')})` : undefined);
    }
    // The server's service proxy, policy enforcer and cluster DNS remove their iptables chains when they stop; after a
    // crash or SIGKILL they would stay, so they are removed here too (named after the runtime's bridge).
    const runtimeInfo = readJson<RuntimeInfo>(paths.runtimeInfo);
    if (runtimeInfo?.bridge) {
      await removeNetworkPolicyRules(runtimeInfo.bridge).catch((err: Error) => streams.err(`could not remove the network policy chains: ${err.message}\n`));
      await removeProxyRules(runtimeInfo.bridge).catch((err: Error) => streams.err(`could not remove the service proxy's iptables chains: ${err.message}\n`));
      await removeDnsRedirect(runtimeInfo.bridge).catch((err: Error) => streams.err(`could not remove the cluster DNS redirect: ${err.message}\n`));
    }

    if (fs.existsSync(paths.runtime)) {
      progress.update('removing pods, containers and sandboxes; stopping containerd');
      // The local registry is shared by every runtime on the machine (and setup reports its PID even
      // when another runtime started it), so it keeps running — unless --purge deletes its data (it
      // lives in /var/lib/steer-registry unless STEER_REGISTRY_DIR puts it under the state dir).
      const registryDir = path.resolve(process.env.STEER_REGISTRY_DIR || '/var/lib/steer-registry');
      const stopRegistry = o.purge && registryDir.startsWith(paths.root + path.sep);
      await teardownRuntime(paths.runtime, { stopRegistry });
      progress.done('✓ runtime torn down');
    }
    // The node agent's tmpfs for memory-backed volumes stays mounted while its pods run (an agent
    // restart keeps it); with every pod gone it goes too.
    const stillMounted = fs.existsSync(paths.root) ? await unmountUnder(paths.root) : [];
    if (stillMounted.length) {
      const message = `could not unmount ${stillMounted.join(', ')}`;
      if (o.purge) throw new Error(`${message}: ${paths.root} is left in place`);
      streams.err(`${message}\n`);
    }
    if (o.purge) {
      progress.update(`removing ${paths.root}`);
      fs.rmSync(paths.root, { recursive: true, force: true });
      progress.done(`✓ removed ${paths.root}`);
    }
  } finally {
    progress.done();
  }
}
