// `steer apiserver` with its security flags: --authorization-mode (Node,RBAC by default once a token
// file authenticates clients), --audit-policy-file and --audit-log-path. Needs `npm run build`.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resources } from '../../lib/api/resources';
import { KubeClient } from '../../lib/client/client';
import { outcome } from '../helpers/identities';
import { waitFor } from '../helpers/wait';

const ROOT = path.join(__dirname, '..', '..');
const STEER = path.join(ROOT, 'bin', 'steer.js');

let dir: string;
const children: ChildProcess[] = [];
const clients: KubeClient[] = [];

function start(...args: string[]): Promise<{ url: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STEER, 'apiserver', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    const timer = setTimeout(() => reject(new Error(`apiserver did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /serving on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stderr: () => err });
      }
    });
    child.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${err}`)));
  });
}

const as = (url: string, token: string): KubeClient => {
  const c = KubeClient.forServer(url, token);
  clients.push(c);
  return c;
};

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-apiserver-authz-'));
  fs.writeFileSync(path.join(dir, 'tokens.csv'), 'admin-token,admin,1,"system:masters"\njane-token,jane,2\n');
  fs.writeFileSync(path.join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: ""}]\n');
});
afterAll(() => {
  for (const c of clients) c.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a token file turns RBAC on, with an audit log', async () => {
  const log = path.join(dir, 'audit', 'audit.log');
  const srv = await start('--token-auth-file', path.join(dir, 'tokens.csv'), '--audit-policy-file', path.join(dir, 'policy.yaml'), '--audit-log-path', log);
  expect(srv.stderr()).toContain('authorization Node,RBAC');
  await as(srv.url, 'admin-token').list(Resources.pods, { namespace: 'default' });
  expect(await outcome(as(srv.url, 'jane-token').list(Resources.pods, { namespace: 'default' }))).toEqual({
    code: 403,
    message: 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
  });
  const lines = await waitFor('two audit events', () => {
    const l = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    return l.length >= 4 && l;
  });
  const users = lines.map((l) => (JSON.parse(l) as { user: { username: string } }).user.username);
  expect(users).toContain('admin');
  expect(users).toContain('jane');
});

test('--authorization-mode=AlwaysAllow opens it again; a bad mode or a log without policy is refused', async () => {
  const srv = await start('--token-auth-file', path.join(dir, 'tokens.csv'), '--authorization-mode', 'AlwaysAllow');
  await as(srv.url, 'jane-token').list(Resources.pods, { namespace: 'default' });
  const bad = spawnSync(process.execPath, [STEER, 'apiserver', '--listen', '127.0.0.1:0', '--authorization-mode', 'RBAC,Webhook'], { encoding: 'utf8', timeout: 20_000 });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('authorization-mode "Webhook" is not a valid mode');
  const noPolicy = spawnSync(process.execPath, [STEER, 'apiserver', '--listen', '127.0.0.1:0', '--audit-log-path', path.join(dir, 'x.log')], { encoding: 'utf8', timeout: 20_000 });
  expect(noPolicy.status).not.toBe(0);
  expect(noPolicy.stderr).toContain('--audit-log-path needs --audit-policy-file');
});
