#!/usr/bin/env node
// The README's test command: installs the system packages the tests need, builds, runs the unit and integration tests in parallel, then the tests
// that drive the real containerd (test/e2e) and the control-plane fault drills (test/ha) one file at a time, and prints jest's totals of both
// passes as one plain line "N passed, N failed" (CI reads it). Extra arguments go to both jest runs.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const jest = path.join(root, 'node_modules', '.bin', 'jest');
const extra = process.argv.slice(2);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === null ? 1 : r.status;
}

// The tests drive real containerd, Docker, kubectl 1.20 and Prometheus: install what is missing first
// (both scripts are quick when everything is there), as `steer up` does. Needs root, as the tests do.
if (process.env.STEER_TEST_SKIP_INSTALL !== '1') {
  for (const script of [path.join('scripts', 'install-deps.sh'), path.join('deploy', 'install-docker.sh')]) {
    if (run('bash', [path.join(root, script)]) !== 0) {
      console.error(`${script} failed`);
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
}

if (run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']) !== 0 || run(process.execPath, [path.join(root, 'dist', 'apiserver', 'openapi', 'generate.js')]) !== 0) {
  console.error('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
let status = 0;
const passes = [
  { name: 'unit+integration', args: ['--testPathIgnorePatterns', '/test/e2e/', '/test/ha/', '/test/chaos/', '/node_modules/', '/dist/'] },
  // The control-plane fault drills (test/ha: etcd members, apiservers, schedulers, controller managers as
  // processes, with failover deadlines) and the chaos run (every controller under injected faults, with
  // convergence deadlines) run one at a time with the containerd tests, not beside 2 cores' worth of
  // parallel suites.
  { name: 'e2e', args: ['--runInBand', '--passWithNoTests', '--testPathPattern', '/test/(e2e|ha|chaos)/'] },
];
for (const pass of passes) {
  const out = path.join(os.tmpdir(), `steer-jest-${process.pid}-${pass.name}.json`);
  const code = run(jest, [...pass.args, '--json', '--outputFile', out, ...extra]);
  let results;
  try {
    results = JSON.parse(fs.readFileSync(out, 'utf8'));
    fs.unlinkSync(out);
  } catch {
    results = undefined;
  }
  if (results) {
    passed += results.numPassedTests;
    // A suite that failed to load counts as a failure even though it ran no test.
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
    if (code !== 0 && results.numTotalTests === 0 && results.numRuntimeErrorTestSuites === 0 && results.numTotalTestSuites === 0) {
      continue; // no tests in this pass (e.g. no e2e files selected)
    }
  } else {
    failed += 1;
  }
  if (code !== 0) status = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : status);
