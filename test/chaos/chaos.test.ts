// The chaos harness in the suite (bench/chaos/): a fixed seed, a short run on hollow nodes with every
// fault on (watch delays, reordering, cuts and re-lists, 409s, component restarts mid-sync, nodes
// NotReady, failing probes, exiting containers) while Deployments roll, scale and heal next to a
// DaemonSet, Jobs and a StatefulSet — and not one invariant broken. A violation prints what broke and
// when; rerun with the same seed through `node dist/bench/chaos.js --seed S --minutes M
// --apiserver-restarts`. The apiserver restarts gracefully now and then too (in this process, on the
// same storage and port); kill -9 of an apiserver process is left to the soak (`--apiserver-kills`).
import { runChaos } from '../../bench/chaos/run';

const SEED = 22;

test('chaos: controllers and scheduler keep every invariant under faults, apiserver restarts included (seed 22)', async () => {
  const report = await runChaos({ seed: SEED, durationMs: 45_000, settleTimeoutMs: 45_000, webReplicas: 50, apiserverRestarts: true });
  const summary = `seed ${report.seed}: ${report.checks} checks, ${report.operations} operations, ${JSON.stringify(report.byKind)} faults ${JSON.stringify(report.faults)}`;
  console.log(summary);
  // The run did what it claims: workloads changed and faults happened.
  expect(report.byKind['web-rollout'] ?? 0).toBeGreaterThan(0);
  expect(report.faults.conflicts + report.faults.cutWatches + report.faults.goneWatches).toBeGreaterThan(0);
  expect(report.checks).toBeGreaterThan(1000);
  // Every invariant, the DaemonSet's included (its two-pods-on-one-node race is fixed: expectations are
  // read before the pod cache, controllers/daemonset/controller.ts).
  expect(report.violations.map((v) => `${v.at} ${v.invariant}: ${v.detail}`)).toEqual([]);
}, 150_000);
