#!/usr/bin/env node
// Copies the Kubernetes protobuf message definitions steer serves from the published repositories
// (k8s.io/api, k8s.io/apimachinery) into apiserver/protobuf/proto/, and writes go-fields.json: for each
// message, how its Go struct field serializes to JSON (JSON name, pointer, omitempty, inline), which the
// .proto files cannot say and the JSON <-> protobuf conversion needs.
//
// Usage: node scripts/k8s-protos.js API_GIT_DIR APIMACHINERY_GIT_DIR
//   (git directories of github.com/kubernetes/api and github.com/kubernetes/apimachinery, read at HEAD)
// Only the stable API versions are copied (every group's v1, and autoscaling/v2), the older versions steer
// still serves (batch/v1beta1), plus the apimachinery
// packages they import. Go-only options (go_package) are stripped and comments dropped to keep the files small.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const [apiGit, machineryGit] = process.argv.slice(2);
if (!apiGit || !machineryGit) {
  process.stderr.write('usage: node scripts/k8s-protos.js API_GIT_DIR APIMACHINERY_GIT_DIR\n');
  process.exit(2);
}
const out = path.join(__dirname, '..', 'apiserver', 'protobuf', 'proto');

const git = (dir, ...args) => execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const commitOf = (dir) => git(dir, 'rev-parse', 'HEAD').trim();

/** Drops comments, blank lines and Go-only options. */
function strip(proto) {
  return proto
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l) && !/^\s*option\s+go_package/.test(l) && l.trim() !== '')
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .trim() + '\n';
}

/** Go struct fields with a protobuf tag: message → proto field name → JSON behaviour. */
function goFields(pkg, typesGo, table) {
  let struct;
  for (const line of typesGo.split('\n')) {
    const start = /^type (\w+) struct \{/.exec(line);
    if (start) { struct = start[1]; continue; }
    if (/^\}/.test(line)) { struct = undefined; continue; }
    if (!struct || /^\s*\/\//.test(line)) continue;
    const m = /^\t(.*?)\s+`([^`]*)`\s*$/.exec(line);
    if (!m) continue;
    const pb = /protobuf:"([^"]*)"/.exec(m[2]);
    const js = /json:"([^"]*)"/.exec(m[2]);
    if (!pb || !js) continue;
    const parts = m[1].trim().split(/\s+/);
    const type = parts.length === 1 ? parts[0] : parts[1];
    // An embedded struct's tag may leave the name out: go-to-protobuf then names it after the type.
    const embedded = type.replace(/^\*/, '').split('.').pop();
    const name = /(?:^|,)name=(\w+)/.exec(pb[1]) ?? (parts.length === 1 ? [null, embedded[0].toLowerCase() + embedded.slice(1)] : null);
    if (!name) continue;
    const [jsonName, ...opts] = js[1].split(',');
    const entry = {};
    if (jsonName === '' || jsonName === '-') entry.inline = true; else entry.json = jsonName;
    if (type.startsWith('*')) entry.ptr = true;
    if (opts.includes('omitempty')) entry.omit = true;
    ((table[`${pkg}.${struct}`] ??= {}))[name[1]] = entry;
  }
}

fs.rmSync(out, { recursive: true, force: true });
const table = {};
const sources = [];
const copy = (dir, file, dest, pkg) => {
  const target = path.join(out, dest);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, strip(git(dir, 'show', `HEAD:${file}`)));
  const typesDir = path.dirname(file);
  for (const f of git(dir, 'ls-tree', '--name-only', `HEAD:${typesDir === '.' ? '' : typesDir}`).split('\n')) {
    if (/^types.*\.go$/.test(f) && !f.endsWith('_test.go')) goFields(pkg, git(dir, 'show', `HEAD:${typesDir}/${f}`), table);
  }
};

for (const p of ['pkg/apis/meta/v1', 'pkg/runtime', 'pkg/runtime/schema', 'pkg/util/intstr', 'pkg/api/resource']) {
  copy(machineryGit, `${p}/generated.proto`, `k8s.io/apimachinery/${p}/generated.proto`, `k8s.io.apimachinery.${p.replace(/\//g, '.')}`);
}
sources.push(`k8s.io/apimachinery@${commitOf(machineryGit)}`);
// batch/v1beta1 is served too (apiserver/handlers/served-versions.ts: CronJobs for kubectl 1.20): its
// messages give the served objects their Go field order and fields.
const olderServed = new Set(['batch/v1beta1/generated.proto']);
const apiProtos = git(apiGit, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n').filter((f) => /^[a-z]+\/(v1|v2)\/generated\.proto$/.test(f) || olderServed.has(f));
// Plus what they import (core/v1 imports a few alpha packages).
const copied = new Set();
const queue = [...apiProtos];
while (queue.length) {
  const f = queue.shift();
  if (copied.has(f)) continue;
  copied.add(f);
  copy(apiGit, f, `k8s.io/api/${f}`, `k8s.io.api.${path.dirname(f).replace(/\//g, '.')}`);
  for (const m of fs.readFileSync(path.join(out, 'k8s.io/api', f), 'utf8').matchAll(/^import "k8s\.io\/api\/([^"]+)";/gm)) queue.push(m[1]);
}
sources.push(`k8s.io/api@${commitOf(apiGit)}`);
fs.writeFileSync(path.join(out, 'go-fields.json'), JSON.stringify({ sources, messages: table }) + '\n');
fs.writeFileSync(path.join(out, 'files.json'), JSON.stringify(apiProtos.map((f) => `k8s.io/api/${f}`), null, 1) + '\n');
process.stdout.write(`copied ${copied.size + 5} .proto files; Go fields of ${Object.keys(table).length} messages (${sources.join(', ')})\n`);

// Kubernetes' own round-trip fixtures (k8s.io/api testdata/HEAD: each kind as JSON and as the protobuf
// its Go encoder writes) for the copied versions: test/fixtures/k8s-protobuf/, read by
// apiserver/protobuf/codec.test.ts.
const fixtures = path.join(__dirname, '..', 'test', 'fixtures', 'k8s-protobuf');
fs.rmSync(fixtures, { recursive: true, force: true });
fs.mkdirSync(fixtures, { recursive: true });
const gvs = new Set(apiProtos.map((f) => path.dirname(f).replace('/', '.')));
let n = 0;
for (const f of git(apiGit, 'ls-tree', '--name-only', 'HEAD:testdata/HEAD').split('\n')) {
  const m = /^([a-z0-9.-]+)\.(v\d)\.(\w+)\.(json|pb)$/.exec(f);
  if (!m || !gvs.has(`${m[1].split('.')[0]}.${m[2]}`)) continue;
  fs.writeFileSync(path.join(fixtures, f), execFileSync('git', ['--git-dir', apiGit, 'show', `HEAD:testdata/HEAD/${f}`], { maxBuffer: 64 << 20 }));
  n++;
}
fs.writeFileSync(path.join(fixtures, 'SOURCE'), `k8s.io/api testdata/HEAD at ${commitOf(apiGit)} (Apache-2.0), copied by scripts/k8s-protos.js\n`);
process.stdout.write(`copied ${n} fixture files\n`);
