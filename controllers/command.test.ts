// `steer controllers` flags: kube-controller-manager's --horizontal-pod-autoscaler-* flags reach the
// HorizontalPodAutoscaler controller's options (the manager is replaced by a recorder; nothing starts).
import { Command } from 'commander';
import type { ControllerManagerOptions } from './manager';

const started: ControllerManagerOptions[] = [];
jest.mock('./manager', () => ({
  ...jest.requireActual('./manager'),
  startControllers: async (o: ControllerManagerOptions) => {
    started.push(o);
    setImmediate(() => process.emit('SIGTERM'));
    return { identity: 'test', isLeader: () => true, stop: async () => undefined };
  },
}));
import { register } from './command';

async function run(...args: string[]): Promise<ControllerManagerOptions> {
  const program = new Command().exitOverride();
  program.configureOutput({ writeErr: () => undefined });
  register(program);
  started.length = 0;
  await program.parseAsync(['controllers', '--server', 'http://127.0.0.1:1', '--metrics-port', '0', ...args], { from: 'user' });
  return started[0];
}

describe('steer controllers: HorizontalPodAutoscaler flags', () => {
  it("defaults to kube's 15 s sync period, 0.1 tolerance and 5 min downscale stabilization", async () => {
    expect((await run()).podAutoscaler).toEqual({ syncPeriodMs: 15_000, tolerance: 0.1, downscaleStabilizationMs: 300_000 });
  });

  it('passes kube-controller-manager spellings to the controller', async () => {
    const o = await run('--horizontal-pod-autoscaler-sync-period=2s', '--horizontal-pod-autoscaler-tolerance', '0.25', '--horizontal-pod-autoscaler-downscale-stabilization=1m30s');
    expect(o.podAutoscaler).toEqual({ syncPeriodMs: 2000, tolerance: 0.25, downscaleStabilizationMs: 90_000 });
  });

  it('refuses a tolerance that is not a non-negative number', async () => {
    await expect(run('--horizontal-pod-autoscaler-tolerance=lots')).rejects.toThrow(/invalid ratio "lots"/);
  });
});
