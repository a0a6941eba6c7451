// What admission webhooks and ValidatingAdmissionPolicies cost a write, on one in-memory `steer apiserver`
// child process: sequential ConfigMap creates with no configuration (the floor), with one validating
// webhook that allows, one mutating webhook that adds a label, and one ValidatingAdmissionPolicy with one
// CEL validation, rounds alternating; p50/p99 of each and the ratio to the floor. The webhooks answer from
// an HTTPS server in this process; the floor of a webhook call is this process POSTing the same
// AdmissionReview to it from another process on a keep-alive connection (what the apiserver's call
// cannot do for less).
// Goals: a policy's create p50 <= 1.2x the floor; what a webhook adds at p50 <= 1.5x the raw call's p50.
//
// Usage: npm run build && node dist/bench/admission.js [--creates 400] [--rounds 4]
import { spawn } from 'node:child_process';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, issueCertificate } from '../lib/component/pki';
import { startApiServerChild } from './apiserver-child';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const creates = arg('creates', 400);
const rounds = arg('rounds', 4);

const ARG = '/apis/admissionregistration.k8s.io/v1';
const CMS = '/api/v1/namespaces/default/configmaps';
type Scenario = 'floor' | 'validating webhook' | 'mutating webhook' | 'policy';
const scenarios: Scenario[] = ['floor', 'validating webhook', 'mutating webhook', 'policy'];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (n: number) => n.toFixed(2);

async function send(base: string, method: string, p: string, body?: unknown): Promise<void> {
  const r = await fetch(base + p, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  await r.arrayBuffer();
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status}`);
}

/** `count` POSTs of an AdmissionReview from a child process (after 100 untimed ones); their times in ms. */
function rawCalls(url: string, ca: string, count: number): Promise<number[]> {
  const script = `
    const https = require('node:https');
    const agent = new https.Agent({ keepAlive: true, ca: ${JSON.stringify(ca)} });
    const review = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', object: { metadata: { name: 'x' }, data: { a: '1', b: '2' } } } });
    const call = () => new Promise((resolve, reject) => {
      const req = https.request(${JSON.stringify(url)}, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', resolve); });
      req.on('error', reject);
      req.end(review);
    });
    (async () => {
      const times = [];
      for (let i = 0; i < 100; i++) await call();
      for (let i = 0; i < ${count}; i++) { const t = process.hrtime.bigint(); await call(); times.push(Number(process.hrtime.bigint() - t) / 1e6); }
      process.stdout.write(JSON.stringify(times));
      agent.destroy();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`raw calls exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const ca = await createCA('bench-webhook-ca');
  const cert = await issueCertificate(ca, { commonName: 'hooks', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { checked: 'yes' } }])).toString('base64');
  const hooks = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const review = JSON.parse(body) as { apiVersion: string; request: { uid: string } };
      const response = { uid: review.request.uid, allowed: true, ...(req.url?.startsWith('/mutate') ? { patchType: 'JSONPatch', patch } : {}) };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response }));
    });
  });
  let handshakes = 0;
  hooks.on('secureConnection', () => handshakes++);
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  const hookUrl = (p: string) => `https://127.0.0.1:${(hooks.address() as AddressInfo).port}${p}`;
  const caBundle = Buffer.from(ca.cert).toString('base64');
  const { url: base, child } = await startApiServerChild([], { enableAdmissionPlugins: ['MutatingAdmissionWebhook', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionWebhook'] });
  const stop = () => {
    child.kill('SIGTERM');
    hooks.close();
  };
  process.once('SIGINT', () => (stop(), process.exit(130)));
  process.once('SIGTERM', () => (stop(), process.exit(143)));
  try {
    const hook = (name: string, p: string) => ({ name, clientConfig: { url: hookUrl(p), caBundle }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] });
    const configure: Record<Scenario, { on: () => Promise<void>; off: () => Promise<void> }> = {
      floor: { on: async () => undefined, off: async () => undefined },
      'validating webhook': {
        on: () => send(base, 'POST', `${ARG}/validatingwebhookconfigurations`, { metadata: { name: 'bench' }, webhooks: [hook('allow.bench.test', '/validate')] }),
        off: () => send(base, 'DELETE', `${ARG}/validatingwebhookconfigurations/bench`),
      },
      'mutating webhook': {
        on: () => send(base, 'POST', `${ARG}/mutatingwebhookconfigurations`, { metadata: { name: 'bench' }, webhooks: [hook('label.bench.test', '/mutate')] }),
        off: () => send(base, 'DELETE', `${ARG}/mutatingwebhookconfigurations/bench`),
      },
      policy: {
        on: async () => {
          await send(base, 'POST', `${ARG}/validatingadmissionpolicies`, { metadata: { name: 'bench' }, spec: { matchConstraints: { resourceRules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] }, validations: [{ expression: 'size(object.data) <= 10', message: 'at most 10 keys' }] } });
          await send(base, 'POST', `${ARG}/validatingadmissionpolicybindings`, { metadata: { name: 'bench' }, spec: { policyName: 'bench', validationActions: ['Deny'] } });
        },
        off: async () => {
          await send(base, 'DELETE', `${ARG}/validatingadmissionpolicybindings/bench`);
          await send(base, 'DELETE', `${ARG}/validatingadmissionpolicies/bench`);
        },
      },
    };
    const times: Record<Scenario, number[]> = { floor: [], 'validating webhook': [], 'mutating webhook': [], policy: [] };
    let n = 0;
    const createBatch = async (into: number[] | undefined, count: number) => {
      for (let i = 0; i < count; i++) {
        const started = process.hrtime.bigint();
        await send(base, 'POST', CMS, { metadata: { name: `cm-${n++}` }, data: { a: '1', b: '2' } });
        into?.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    };
    await createBatch(undefined, 200); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 ? [...scenarios].reverse() : scenarios) {
        await configure[s].on();
        await new Promise((done) => setTimeout(done, 200)); // the configuration reaches the plugins through a watch
        await createBatch(undefined, 20);
        await createBatch(times[s], creates);
        await configure[s].off();
      }
      process.stderr.write(`round ${r + 1}/${rounds}\n`);
    }
    // The raw webhook call: the same review POSTed on a keep-alive connection from another process, as
    // the apiserver's call crosses from its process to the webhook's.
    const raw = await rawCalls(hookUrl('/validate?timeout=10s'), ca.cert, creates * rounds);
    const floor50 = pct(times.floor, 50);
    const floor99 = pct(times.floor, 99);
    console.log(`ConfigMap creates, sequential, ${creates} x ${rounds} rounds per case (ms):`);
    console.log(`${'case'.padEnd(20)} ${'p50'.padStart(7)} ${'p99'.padStart(7)}  p50/floor  p99/floor`);
    for (const s of scenarios) {
      const p50 = pct(times[s], 50);
      const p99 = pct(times[s], 99);
      console.log(`${s.padEnd(20)} ${ms(p50).padStart(7)} ${ms(p99).padStart(7)}  ${(p50 / floor50).toFixed(2).padStart(8)}x  ${(p99 / floor99).toFixed(2).padStart(8)}x`);
    }
    const raw50 = pct(raw, 50);
    console.log(`raw webhook call     ${ms(raw50).padStart(7)} ${ms(pct(raw, 99)).padStart(7)}`);
    for (const s of ['validating webhook', 'mutating webhook'] as const) {
      const added = pct(times[s], 50) - floor50;
      console.log(`${s}: adds ${ms(added)} ms at p50 = ${(added / raw50).toFixed(2)}x the raw call (goal <= 1.5x)`);
    }
    console.log(`policy: p50 ${(pct(times.policy, 50) / floor50).toFixed(2)}x the floor (goal <= 1.2x)`);
    // The apiserver's own timing of each call (from dispatch to the verified answer).
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['allow.bench.test', 'label.bench.test']) {
      const value = (what: string) => Number(new RegExp(`apiserver_admission_webhook_admission_duration_seconds_${what}\\{name="${name.replace(/\./g, '\\.')}"[^}]*\\} (\\S+)`).exec(metrics)?.[1] ?? NaN);
      console.log(`${name}: the apiserver's call took ${ms((value('sum') / value('count')) * 1000)} ms on average (${value('count')} calls)`);
    }
    console.log(`TLS connections the webhook server accepted: ${handshakes} for ${2 * (creates + 20) * rounds + creates * rounds + 100} calls`);
  } finally {
    stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
