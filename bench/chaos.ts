// Chaos soak: the harness of bench/chaos/ (hollow nodes, real apiserver, every controller and the
// scheduler, each on a fault-injecting client) run round after round for a set time, each round a
// fresh cluster with its own seed drawn from the soak's seed. Printed per round and in total: the
// invariant checks made, the violations found (goal: zero) and the operations survived per second
// (workload operations and injected faults). A violation prints with the round's seed, which replays
// that round's actions and faults: `--seed S --rounds 1 --round-seconds N`.
//
// Usage: npm run build && node dist/bench/chaos.js [--minutes 30] [--seed S] [--round-seconds 120] [--rounds N]
//        [--apiserver-restarts] (the apiserver restarted now and then too, gracefully)
//        [--apiserver-kills] (the apiserver, then a process, killed with SIGKILL now and then too)
import { DEFAULT_FAULTS, runChaos, type ChaosReport } from './chaos/run';
import { Prng, randomSeed } from './chaos/prng';

interface SoakOptions {
  minutes: number;
  seed: number;
  roundSeconds: number;
  rounds: number;
  verbose: boolean;
  apiserverRestarts: boolean;
  apiserverKills: boolean;
}

function parseArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { minutes: 30, seed: randomSeed(), roundSeconds: 120, rounds: Infinity, verbose: false, apiserverRestarts: false, apiserverKills: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--verbose') {
      o.verbose = true;
      continue;
    }
    if (a === '--apiserver-restarts') {
      o.apiserverRestarts = true;
      continue;
    }
    if (a === '--apiserver-kills') {
      o.apiserverKills = true;
      continue;
    }
    const n = Number(argv[++i]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${a} needs a non-negative number`);
    if (a === '--minutes') o.minutes = n;
    else if (a === '--seed') o.seed = n >>> 0;
    else if (a === '--round-seconds') o.roundSeconds = n;
    else if (a === '--rounds') o.rounds = n;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const ts = () => new Date().toISOString().slice(11, 19);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // The components' own complaints about injected faults (crashed clients, chaos 409s) are expected.
  const quiet = (orig: typeof console.error) => (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (/chaos/.test(text) && !o.verbose) return;
    orig(...args);
  };
  console.error = quiet(console.error.bind(console));
  console.warn = quiet(console.warn.bind(console));
  console.log(`chaos soak: seed ${o.seed}, ${o.minutes} min, rounds of ${o.roundSeconds} s${o.apiserverRestarts ? ', apiserver restarts' : ''}${o.apiserverKills ? ', apiserver kill -9' : ''}; faults ${JSON.stringify(DEFAULT_FAULTS)}`);
  const seeds = new Prng(o.seed);
  const endAt = Date.now() + o.minutes * 60_000;
  const reports: ChaosReport[] = [];
  let wallMs = 0;
  for (let round = 1; round <= o.rounds && Date.now() < endAt; round++) {
    // The first round runs the soak's seed itself, so `--seed S --rounds 1` replays it.
    const seed = round === 1 ? o.seed : (seeds.next() * 4294967296) >>> 0;
    const left = endAt - Date.now();
    const durationMs = Math.max(10_000, Math.min(o.roundSeconds * 1000, left - 60_000));
    const t0 = Date.now();
    const r = await runChaos({ seed, durationMs, settleTimeoutMs: 90_000, apiserverRestarts: o.apiserverRestarts, apiserverKills: o.apiserverKills, log: o.verbose ? (m) => console.log(`${ts()} ${m}`) : (m) => (m.startsWith('VIOLATION') ? console.log(`${ts()} ${m}`) : undefined) });
    wallMs += Date.now() - t0;
    reports.push(r);
    const restarts = Object.entries(r.faults).filter(([k]) => k.startsWith('restart-')).reduce((n, [, v]) => n + v, 0);
    console.log(
      `${ts()} round ${round} seed ${seed}: ${(r.runMs / 1000).toFixed(0)} s of chaos, ${r.checks} invariant checks, ${r.violations.length} violations, ` +
        `${r.operations} operations (${(r.operations / (r.runMs / 1000)).toFixed(1)}/s): ${r.faults.conflicts} 409s, ${r.faults.cutWatches} cut and ${r.faults.goneWatches} re-listed watches, ` +
        `${r.faults.delayedEvents} delayed events, ${restarts} component restarts, ${JSON.stringify(r.byKind)}`,
    );
    for (const v of r.violations) console.log(`  VIOLATION ${v.invariant} at ${v.at}: ${v.detail}`);
  }
  const checks = reports.reduce((n, r) => n + r.checks, 0);
  const violations = reports.reduce((n, r) => n + r.violations.length, 0);
  const operations = reports.reduce((n, r) => n + r.operations, 0);
  const chaosSeconds = reports.reduce((n, r) => n + r.runMs, 0) / 1000;
  console.log('');
  console.log(`seed ${o.seed}: ${reports.length} rounds, ${chaosSeconds.toFixed(0)} s under faults (${(wallMs / 1000).toFixed(0)} s with start-up and settling)`);
  console.log(`invariant checks: ${checks} (${(checks / chaosSeconds).toFixed(0)}/s)`);
  console.log(`violations: ${violations} (goal 0)`);
  console.log(`operations survived: ${operations} (${(operations / chaosSeconds).toFixed(1)}/s)`);
  process.exit(violations ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
