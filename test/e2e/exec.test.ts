// Interactive pods end to end on real containerd, one cluster for the whole file: an apiserver on HTTPS
// with client certificates, a token file and Node,RBAC authorization; one node agent serving HTTPS behind
// the kubelet's authentication (certificates, TokenReview) and authorization (SubjectAccessReview); the
// apiserver reaches it with its kubelet-client certificate. A busybox pod (`bb`, printing ticks) and an
// nginx pod (`web`, with a busybox httpd on 8081 beside nginx on 80).
// Every client: kubectl 1.20 (SPDY) and the machine's kubectl (WebSocket first, refused by containerd
// 1.6, then SPDY) — exec (outputs, exit codes, stdin to EOF), `-it` with `stty size`, attach, cp both
// ways (and 50 MiB), port-forward of two ports serving repeatedly, the errors before the upgrade, no
// process left behind by a killed client, `run -i --rm` with stdin through attach, `debug --target` (an
// ephemeral container in the target's PID namespace), a pod sharing one PID namespace, a pod in the node's
// namespaces (hostNetwork, hostPID, hostIPC) and `debug node/`, lifecycle hooks, a sidecar, termination messages — steer's exec, attach, cp and port-forward verbs (the built
// binary), and @kubernetes/client-node's Exec (stdin to EOF: the agent terminates WebSocket v5 and speaks
// SPDY to containerd), Cp.cpToPod and PortForward (and Cp.cpFromPod's failure shown to be client-node's:
// steer serves `tar zcf -` as the kubelet does, client-node extracts it without gunzip). Sessions keep
// their output whole while a Deployment (the deployment and replicaset controllers run) scales up and
// down beside them; the agent's session limits, set low here (4 per pod, 6 in all), answer 429 with
// Retry-After through the apiserver.
// Needs root; run under flock /tmp/steer-e2e.lock.
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Cp, Exec, KubeConfig, PortForward } from '@kubernetes/client-node';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { V1Status } from '@kubernetes/client-node';
import type { Deployment } from 'kubernetes-types/apps/v1';
import WebSocket from 'ws';
import { KubeClient } from '../../lib/client/client';
import { writeKubeconfig } from '../../lib/client/kubeconfig';
import { Resources } from '../../lib/api/resources';
import { issueCertificate, type CertKeyPem } from '../../lib/component/pki';
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator } from '../../lib/component/secure-serving';
import type { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { IMAGES } from '../../node-agent/runtime-setup';
import type { TestApiServer } from '../helpers/apiserver';
import { KUBECTL_120, kubectlBinaries } from '../helpers/kubectl';
import { makeTestPki, type TestPki } from '../helpers/pki';
import { sleep, waitForWithin } from '../helpers/wait';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';

const waitFor = waitForWithin(60_000);
jest.setTimeout(180_000);

const nodeName = 'e2e-exec-node';
const ns = 'default';
/** The agent's session limits, low so that a test can reach them. */
const MAX_SESSIONS_PER_POD = 4;
const MAX_SESSIONS = 6;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command (stdin given, then closed), with a generous timeout; never rejects. */
function run(cmd: string, args: string[], o: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - start });
    });
    child.stdin.on('error', () => undefined);
    if (o.stdin !== undefined) child.stdin.end(o.stdin);
    else child.stdin.end();
  });
}

/**
 * A port-forward child (kubectl's or steer's, to pod/web on :80 and :8081) serves nginx and the sidecar
 * three times over its one session; then it is stopped.
 */
async function expectForwardsWebPod(child: ChildProcess): Promise<void> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ports = await waitFor('forwarding', () => {
    const a = /127\.0\.0\.1:(\d+) -> 80\b/.exec(out);
    const b = /127\.0\.0\.1:(\d+) -> 8081\b/.exec(out);
    return a && b ? [Number(a[1]), Number(b[1])] : undefined;
  }, 30_000);
  for (let i = 0; i < 3; i++) {
    const [nginx, side] = await Promise.all([httpGetText(`http://127.0.0.1:${ports[0]}/`), httpGetText(`http://127.0.0.1:${ports[1]}/`)]);
    expect(nginx.code).toBe(200);
    expect(nginx.body).toMatch(/nginx/i);
    expect(side).toEqual({ code: 200, body: 'side-page\n' });
  }
  child.kill('SIGTERM');
}

function httpGetText(url: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')));
  });
}

describe('exec, attach, port-forward and cp on real containerd', () => {
  let cluster: SingleNodeCluster | undefined;
  let pki: TestPki;
  let api: TestApiServer;
  let admin: KubeClient;
  let cri: CriRuntime;
  let home: string;
  let kubeconfig: string;
  let viewerKubeconfig: string;
  let kc: KubeConfig;
  let adminPem: CertKeyPem;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    pki = await makeTestPki();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-exec-e2e-'));
    const tokens = path.join(pki.dir, 'tokens.csv');
    fs.writeFileSync(tokens, 'viewer-token,viewer,uid-viewer\n');
    const kubeletClient = await pki.client('kube-apiserver-kubelet-client', ['system:masters']);
    adminPem = await pki.client('kubernetes-admin', ['system:masters']);
    cluster = await startSingleNodeCluster({
      name: 'exec',
      nodeName,
      controllers: ['deployment', 'replicaset'],
      // HTTPS with client certificates, a token file and Node,RBAC; the cluster's client is the admin.
      api: {
        tlsCertFile: pki.servingCertFile,
        tlsKeyFile: pki.servingKeyFile,
        clientCAFile: pki.caFile,
        tokenFile: tokens,
        anonymousAuth: false,
        authorizationMode: ['Node', 'RBAC'],
        kubeletClient: { certFile: kubeletClient.certFile, keyFile: kubeletClient.keyFile, caFile: pki.caFile },
        kubernetesService: false,
        ca: pki.ca.cert,
        clientCert: adminPem.cert,
        clientKey: adminPem.key,
      },
      // The agent as the node (its own certificate), serving HTTPS behind TokenReview and SubjectAccessReview.
      agent: async ({ api }) => {
        const nodeCert = await pki.client(`system:node:${nodeName}`, ['system:nodes']);
        const agentClient = KubeClient.fromCredentials({ server: api.url, ca: pki.ca.cert, cert: nodeCert.cert, key: nodeCert.key });
        const serving = await issueCertificate(pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], ipAddresses: ['127.0.0.1'], dnsNames: [nodeName], usage: 'server' });
        return {
          client: agentClient,
          streamingLimits: { maxSessions: MAX_SESSIONS, maxSessionsPerPod: MAX_SESSIONS_PER_POD },
          serving: {
            cert: serving.cert,
            key: serving.key,
            clientCA: pki.ca.cert,
            tokens: tokenReviewAuthenticator(agentClient),
            authorizer: subjectAccessReviewAuthorizer(agentClient),
          },
        };
      },
    });
    ({ api, cri } = cluster);
    admin = api.client;
    kubeconfig = path.join(home, 'kubeconfig');
    writeKubeconfig(kubeconfig, { server: api.url, ca: pki.ca.cert, clientCert: adminPem.cert, clientKey: adminPem.key, namespace: ns });
    viewerKubeconfig = path.join(home, 'viewer-kubeconfig');
    writeKubeconfig(viewerKubeconfig, { server: api.url, ca: pki.ca.cert, token: 'viewer-token', namespace: ns });
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await admin.create(Resources.clusterrolebindings, undefined, {
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    const ticker = 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done';
    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'bb' },
      spec: { nodeName, containers: [{ name: 'bb', image: IMAGES.busybox, command: ['sh', '-c', ticker] }] },
    });
    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'web' },
      spec: {
        nodeName,
        containers: [
          { name: 'nginx', image: IMAGES.nginx },
          { name: 'side', image: IMAGES.busybox, command: ['sh', '-c', 'mkdir -p /www && echo side-page > /www/index.html && exec httpd -f -p 8081 -h /www'] },
          // Bound to the pod's loopback only: port-forward means "localhost in the pod", not the pod IP.
          { name: 'local', image: IMAGES.busybox, command: ['sh', '-c', 'mkdir -p /lo && echo local-page > /lo/index.html && exec httpd -f -p 127.0.0.1:8082 -h /lo'] },
        ],
      },
    });
    // No node: stays Pending without a scheduler.
    await admin.create<Pod>(Resources.pods, ns, { metadata: { name: 'nowhere' }, spec: { containers: [{ name: 'c', image: IMAGES.busybox }] } });
    for (const name of ['bb', 'web']) {
      await waitFor(`${name} running`, async () => (await admin.get<Pod>(Resources.pods, ns, name)).status?.phase === 'Running', 180_000);
    }
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await cluster?.stop();
    pki?.cleanup();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  /** Processes in the bb container matching a pattern (busybox ps, through CRI directly). */
  async function processesIn(pattern: RegExp): Promise<string[]> {
    const pod = await admin.get<Pod>(Resources.pods, ns, 'bb');
    const id = pod.status!.containerStatuses![0].containerID!.replace(/^containerd:\/\//, '');
    const ps = await cri.execSync(id, ['ps', '-o', 'pid,args'], 10);
    return ps.stdout.toString().split('\n').filter((l) => pattern.test(l));
  }

  /** The agent's /metrics text, read as the admin. */
  function agentMetrics(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      https.get(`${cluster!.agent.url}/metrics`, { ca: pki.ca.cert, cert: adminPem.cert, key: adminPem.key, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
  }

  /** The agent's open streaming sessions, from its /metrics. */
  async function agentOpenSessions(): Promise<number> {
    return (await agentMetrics())
      .split('\n')
      .filter((l) => l.startsWith('steer_node_agent_streaming_sessions{'))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  /** A WebSocket v4 session through the apiserver (`path` after /api/v1/namespaces/default/pods/), as the admin. */
  function apiWebSocket(p: string): WebSocket {
    return new WebSocket(`${api.url.replace(/^https/, 'wss')}/api/v1/namespaces/${ns}/pods/${p}`, ['v4.channel.k8s.io'], { ca: pki.ca.cert, cert: adminPem.cert, key: adminPem.key, perMessageDeflate: false });
  }

  /** An open exec session (what it printed on stdout so far), or the HTTP refusal the client got instead. */
  function openExec(pod: string, cmd: string[], container?: string): Promise<{ ws: WebSocket; stdout: () => string } | { code: number; retryAfter?: string; status: { reason?: string; message?: string; code?: number } }> {
    const ws = apiWebSocket(`${pod}/exec?${cmd.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&stdout=true${container ? `&container=${container}` : ''}`);
    let stdout = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) stdout += d.subarray(1).toString();
    });
    return new Promise((resolve, reject) => {
      ws.on('open', () => resolve({ ws, stdout: () => stdout }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, status: JSON.parse(body) }));
      });
      ws.on('error', reject);
    });
  }

  /** A client that goes away (as a killed one does: its connection closes, no close handshake). */
  const gone = (ws: WebSocket) => {
    ws.terminate();
    return closed(ws);
  };
  const closed = (ws: WebSocket) => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : ws.once('close', () => r())));

  for (const k of kubectlBinaries('exec')) {
    describe(k.name, () => {
      const kubectl = (args: string[], o: { stdin?: string | Buffer; timeoutMs?: number } = {}) => run(k.bin, ['--kubeconfig', kubeconfig, ...args], { ...o, env: { HOME: path.join(home, k.ns) } });

      test('exec: stdout, stderr and the exit code', async () => {
        const r = await kubectl(['exec', 'bb', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
        expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: expect.stringContaining('err\n') });
        expect(r.stderr).toContain('command terminated with exit code 3');
        const ok = await kubectl(['exec', 'bb', '-c', 'bb', '--', 'echo', 'hello', 'world']);
        expect(ok).toMatchObject({ code: 0, stdout: 'hello world\n' });
      });

      test('exec -i: stdin reaches EOF (cat ends within 2 s of a plain exec)', async () => {
        const plain = await kubectl(['exec', 'bb', '--', 'true']);
        expect(plain.code).toBe(0);
        const r = await kubectl(['exec', '-i', 'bb', '--', 'cat'], { stdin: 'hi via stdin\n', timeoutMs: 30_000 });
        expect(r).toMatchObject({ code: 0, stdout: 'hi via stdin\n' });
        expect(r.ms).toBeLessThan(plain.ms + 2_000);
      });

      test('exec -it: the terminal size reaches the container (stty size)', async () => {
        const cmd = `stty cols 120 rows 40; ${k.bin} --kubeconfig ${kubeconfig} exec -it bb -- sh -c 'sleep 0.5; stty size'`;
        const r = await run('script', ['-qec', cmd, '/dev/null'], { env: { HOME: path.join(home, k.ns) } });
        expect(r.stdout).toContain('40 120');
        expect(r.code).toBe(0);
      });

      test('attach streams the container output', async () => {
        const child = spawn(k.bin, ['--kubeconfig', kubeconfig, 'attach', 'bb'], { env: { ...process.env, HOME: path.join(home, k.ns) } });
        children.push(child);
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        await waitFor('attach output', () => /tick \d+/.test(out), 30_000);
        child.kill('SIGKILL');
      });

      test('run -i --rm: stdin reaches the process through attach (the container keeps stdin open, once)', async () => {
        const name = `${k.ns}-stdin`;
        const overrides = JSON.stringify({ spec: { nodeName } });
        const r = await kubectl(['run', name, '-i', '--rm', '--restart=Never', `--image=${IMAGES.busybox}`, `--overrides=${overrides}`, '--', 'sh', '-c', 'read line; echo "got $line"'], {
          stdin: 'hello\n',
          timeoutMs: 60_000,
        });
        expect(r.stdout).toContain('got hello');
        expect(r.code).toBe(0);
        // kubectl waits for the pod on a protobuf watch (client-go's typed client): each frame decodes.
        expect(r.stderr).not.toMatch(/unable to decode an event from the watch stream/);
        await waitFor('the pod to be removed', async () => ((await admin.get<Pod>(Resources.pods, ns, name).catch(() => undefined)) ? undefined : true));
      });

      test("debug --target: an ephemeral container in the pod, in its target's PID namespace", async () => {
        const container = `${k.ns}-dbg`;
        if (k.bin === KUBECTL_120) {
          // 1.20's `alpha debug` speaks the alpha API (an EphemeralContainers object), which Kubernetes
          // replaced by the Pod in 1.22: it fails against any current apiserver, steer's included.
          const old = await kubectl(['alpha', 'debug', 'bb', `--image=${IMAGES.busybox}`, `--container=${container}`, '--', 'ps']);
          expect(old.stderr).toContain('EphemeralContainers in the request body does not match Pod');
          return;
        }
        const r = await kubectl(['debug', '--profile=general', 'bb', `--image=${IMAGES.busybox}`, '--target=bb', `--container=${container}`, '--', 'ps']);
        expect(r.code).toBe(0);
        const pod = await waitFor('the ephemeral container to finish', async () => {
          const p = await admin.get<Pod>(Resources.pods, ns, 'bb');
          return p.status?.ephemeralContainerStatuses?.find((c) => c.name === container)?.state?.terminated ? p : undefined;
        });
        expect(pod.status?.ephemeralContainerStatuses?.find((c) => c.name === container)).toMatchObject({ ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } });
        // ps there lists the target's processes: the ticker loop of container bb.
        const logs = await kubectl(['logs', 'bb', '-c', container]);
        expect(logs.stdout).toContain('while true; do echo tick');
        // The pod's own container ran on.
        expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'bb', ready: true, restartCount: 0 });
      });

      test("debug node/: a pod in the node's network, PID and IPC namespaces, the node's filesystem at /host", async () => {
        const marker = path.join(home, `${k.ns}-node-marker`);
        fs.writeFileSync(marker, `on the node ${k.ns}\n`);
        const verb = k.bin === KUBECTL_120 ? ['alpha', 'debug'] : ['debug', '--profile=general'];
        const r = await kubectl([...verb, `node/${nodeName}`, `--image=${IMAGES.busybox}`, '--', 'sleep', '600']);
        expect(r.code).toBe(0);
        const name = /Creating debugging pod (\S+)/.exec(r.stdout + r.stderr)?.[1];
        expect(name).toMatch(/^node-debugger-/);
        await waitFor('the debugging pod to run', async () => ((await admin.get<Pod>(Resources.pods, ns, name!)).status?.containerStatuses?.[0]?.ready ? true : undefined));
        const out = await kubectl(['exec', name!, '--', 'sh', '-c', `for n in net pid ipc; do readlink /proc/self/ns/$n; done; cat /host${marker}`]);
        expect(out.stdout.split('\n')).toEqual([...['net', 'pid', 'ipc'].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`)), `on the node ${k.ns}`, '']);
        await admin.delete(Resources.pods, ns, name!);
      });

      test('cp to the pod and back: identical', async () => {
        const local = path.join(home, `${k.ns}-f.bin`);
        fs.writeFileSync(local, crypto.randomBytes(100_000));
        const to = await kubectl(['cp', local, `bb:/tmp/${k.ns}-f.bin`]);
        expect(to.code).toBe(0);
        const back = path.join(home, `${k.ns}-back.bin`);
        const from = await kubectl(['cp', `bb:/tmp/${k.ns}-f.bin`, back]);
        expect(from.code).toBe(0);
        expect((await run('cmp', [local, back])).code).toBe(0);
      });

      test('port-forward serves nginx and the sidecar repeatedly over one session, on two ports', async () => {
        const child = spawn(k.bin, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', ':80', ':8081'], { env: { ...process.env, HOME: path.join(home, k.ns) } });
        children.push(child);
        await expectForwardsWebPod(child);
      });

      test("port-forward reaches a listener on the pod's loopback only, and a closed port fails as kube's does", async () => {
        const child = spawn(k.bin, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', ':8082', ':8089'], { env: { ...process.env, HOME: path.join(home, k.ns) } });
        children.push(child);
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const [local, closed] = await waitFor('forwarding', () => {
          const a = /127\.0\.0\.1:(\d+) -> 8082\b/.exec(out);
          const b = /127\.0\.0\.1:(\d+) -> 8089\b/.exec(out);
          return a && b ? [Number(a[1]), Number(b[1])] : undefined;
        }, 30_000);
        for (let i = 0; i < 2; i++) expect(await httpGetText(`http://127.0.0.1:${local}/`)).toEqual({ code: 200, body: 'local-page\n' });
        // Nothing listens on 8089: the connection is closed and kubectl prints the error stream's message
        // (kubectl ≥ 1.29 then ends the session, as against any cluster: so this comes last).
        await expect(httpGetText(`http://127.0.0.1:${closed}/`)).rejects.toThrow();
        await waitFor('the error', () => /error forwarding port 8089 to pod [^\n]*connection refused/.test(out), 20_000);
        child.kill('SIGTERM');
      });

      test('errors before the upgrade: unknown container 400, unknown pod 404, pod without a node 400, RBAC 403', async () => {
        const nope = await kubectl(['exec', 'bb', '-c', 'nope', '--', 'true']);
        expect(nope.code).toBe(1);
        expect(nope.stderr).toContain('container nope is not valid for pod bb');
        const missing = await kubectl(['exec', 'ghost', '--', 'true']);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/NotFound|not found/);
        const viewer = await run(k.bin, ['--kubeconfig', viewerKubeconfig, 'exec', 'bb', '--', 'true'], { env: { HOME: path.join(home, k.ns) } });
        expect(viewer.code).toBe(1);
        expect(viewer.stderr).toMatch(/forbidden|Forbidden/);
      });

      test('a killed client leaves no process behind in the container', async () => {
        const marker = k.ns === 'exec120' ? '1201' : '1202';
        for (const tty of [false, true]) {
          const child = tty
            ? spawn('script', ['-qec', `${k.bin} --kubeconfig ${kubeconfig} exec -it bb -- sleep ${marker}`, '/dev/null'], { env: { ...process.env, HOME: path.join(home, k.ns) }, detached: true })
            : spawn(k.bin, ['--kubeconfig', kubeconfig, 'exec', '-i', 'bb', '--', 'sleep', marker], { env: { ...process.env, HOME: path.join(home, k.ns) }, detached: true });
          children.push(child);
          await waitFor('the sleep to run', async () => (await processesIn(new RegExp(`sleep ${marker}`))).length > 0, 30_000);
          process.kill(-child.pid!, 'SIGKILL');
          await waitFor('the sleep to be gone', async () => (await processesIn(new RegExp(`sleep ${marker}`))).length === 0, 20_000);
        }
      });
    });
  }

  test('the apiserver refuses exec into a pod without a node, and non-upgrade requests, with a Status', async () => {
    const call = (p: string, headers: Record<string, string> = {}) =>
      new Promise<{ code: number; body: string }>((resolve, reject) => {
        const req = https.request(`${api.url}${p}`, { method: 'POST', ca: pki.ca.cert, cert: adminPem.cert, key: adminPem.key, headers, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const nowhere = await call(`/api/v1/namespaces/${ns}/pods/nowhere/exec?command=true&stdout=true`);
    expect(nowhere.code).toBe(400);
    expect(JSON.parse(nowhere.body)).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest', message: 'pod nowhere does not have a host assigned' });
    const plain = await call(`/api/v1/namespaces/${ns}/pods/bb/exec?command=true&stdout=true`);
    expect(plain.code).toBe(400);
    expect(JSON.parse(plain.body).message).toBe('Upgrade request required');
    const ghost = await call(`/api/v1/namespaces/${ns}/pods/ghost/portforward`, { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' });
    expect(ghost.code).toBe(404);
    expect(JSON.parse(ghost.body)).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  test('the agent refuses streaming requests without credentials (401)', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${cluster!.agent.url}/exec/${ns}/bb/bb?command=true&stdout=true`, { method: 'POST', ca: pki.ca.cert, agent: false, headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } }, (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    expect(r).toBe(401);
  });

  test('shareProcessNamespace: each container sees the pod\'s processes, the pause process as PID 1', async () => {
    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'shared-pids' },
      spec: {
        nodeName,
        shareProcessNamespace: true,
        containers: [
          { name: 'a', image: IMAGES.busybox, command: ['sleep', '3601'] },
          { name: 'b', image: IMAGES.busybox, command: ['sleep', '3602'] },
        ],
      },
    });
    await waitFor('the pod to run', async () => ((await admin.get<Pod>(Resources.pods, ns, 'shared-pids')).status?.containerStatuses?.every((c) => c.ready) ? true : undefined));
    const k = kubectlBinaries('pids')[0];
    const ps = await run(k.bin, ['--kubeconfig', kubeconfig, 'exec', 'shared-pids', '-c', 'a', '--', 'ps'], { env: { HOME: path.join(home, k.ns) } });
    expect(ps.stdout).toMatch(/^\s*1 \S+\s+\/pause$/m);
    expect(ps.stdout).toContain('sleep 3602');
    await admin.delete(Resources.pods, ns, 'shared-pids');
  });

  test("hostNetwork, hostPID and hostIPC: the node's namespaces, IP and hostname; its hosts file with the pod's aliases", async () => {
    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'host-namespaces' },
      spec: {
        nodeName,
        hostNetwork: true,
        hostPID: true,
        hostIPC: true,
        hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local'] }],
        containers: [{ name: 'a', image: IMAGES.busybox, command: ['sleep', '3603'] }],
      },
    });
    const pod = await waitFor('the pod to run', async () => {
      const p = await admin.get<Pod>(Resources.pods, ns, 'host-namespaces');
      return p.status?.containerStatuses?.every((c) => c.ready) ? p : undefined;
    });
    // The kubelet's podIPs on the host network: the node's.
    expect(pod.status?.podIP).toBe(pod.status?.hostIP);
    expect(pod.status?.podIPs).toEqual([{ ip: pod.status?.hostIP }]);
    const k = kubectlBinaries('hostns')[0];
    const script = 'hostname; for n in net pid ipc uts; do readlink /proc/self/ns/$n; done; head -1 /etc/hosts; tail -1 /etc/hosts';
    const r = await run(k.bin, ['--kubeconfig', kubeconfig, 'exec', 'host-namespaces', '--', 'sh', '-c', script], { env: { HOME: path.join(home, k.ns) } });
    const own = ['net', 'pid', 'ipc', 'uts'].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`));
    expect(r.stdout.split('\n')).toEqual([os.hostname(), ...own, '# Kubernetes-managed hosts file (host network).', '10.1.2.3\tfoo.local', '']);
    await admin.delete(Resources.pods, ns, 'host-namespaces');
  });

  test('lifecycle hooks: postStart runs in the started container, preStop before the stop; a failed postStart kills it', async () => {
    const out = fs.mkdtempSync(path.join(home, 'hooks-'));
    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'hooks' },
      spec: {
        nodeName,
        terminationGracePeriodSeconds: 3,
        volumes: [{ name: 'shared', emptyDir: {} }, { name: 'out', hostPath: { path: out } }],
        containers: [
          {
            name: 'app',
            image: IMAGES.busybox,
            command: ['sh', '-c', 'while [ ! -f /shared/started ]; do sleep 0.1; done; cat /shared/started; exec sleep 3600'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'out', mountPath: '/out' }],
            lifecycle: {
              postStart: { exec: { command: ['sh', '-c', 'echo "post-start ran as $(id -u)" > /shared/started'] } },
              preStop: { exec: { command: ['sh', '-c', 'echo pre-stop ran > /out/pre-stop; sleep 1'] } },
            },
          },
        ],
      },
    });
    await waitFor('the pod to run', async () => ((await admin.get<Pod>(Resources.pods, ns, 'hooks')).status?.containerStatuses?.[0]?.ready ? true : undefined));
    const k = kubectlBinaries('hooks')[0];
    const env = { HOME: path.join(home, k.ns) };
    await waitFor('the postStart hook to have written', async () => ((await run(k.bin, ['--kubeconfig', kubeconfig, 'logs', 'hooks'], { env })).stdout === 'post-start ran as 0\n' ? true : undefined));
    const t0 = Date.now();
    await admin.delete(Resources.pods, ns, 'hooks');
    await waitFor('the pod to be gone', async () => ((await admin.get<Pod>(Resources.pods, ns, 'hooks').catch(() => undefined)) ? undefined : true));
    expect(fs.readFileSync(path.join(out, 'pre-stop'), 'utf8')).toBe('pre-stop ran\n');
    // The hook's sleep came before the stop; `exec sleep` as PID 1 ignores SIGTERM, so the rest of the grace period passed too.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);

    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'hooks-failed' },
      spec: {
        nodeName,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: IMAGES.busybox, command: ['sleep', '3600'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 7'] } } } }],
      },
    });
    const failed = await waitFor('the pod to fail', async () => {
      const p = await admin.get<Pod>(Resources.pods, ns, 'hooks-failed');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(137);
    const events = await admin.list<{ reason?: string; message?: string; involvedObject?: { name?: string } }>(Resources.events, { namespace: ns });
    expect(events.items.filter((e) => e.involvedObject?.name === 'hooks-failed').map((e) => `${e.reason} ${e.message}`)).toContain('FailedPostStartHook PostStartHook failed');
    await admin.delete(Resources.pods, ns, 'hooks-failed');
  });

  test('a sidecar starts before the next init container (its startup probe gates it), runs beside the container and is stopped after it', async () => {
    await admin.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'sidecar' },
      spec: {
        nodeName,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'shared', emptyDir: {} }],
        initContainers: [
          {
            name: 'side',
            image: IMAGES.busybox,
            restartPolicy: 'Always',
            command: ['sh', '-c', 'sleep 1; echo side up > /shared/side; exec sleep 3600'],
            startupProbe: { exec: { command: ['test', '-f', '/shared/side'] }, periodSeconds: 1, failureThreshold: 30 },
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
          { name: 'setup', image: IMAGES.busybox, command: ['cat', '/shared/side'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
        ],
        containers: [{ name: 'main', image: IMAGES.busybox, command: ['sh', '-c', 'cat /shared/side; sleep 3'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }],
      },
    });
    const running = await waitFor('the container to run beside the sidecar, the pod Ready', async () => {
      const p = await admin.get<Pod>(Resources.pods, ns, 'sidecar');
      return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    });
    expect(running.status?.initContainerStatuses?.map((c) => [c.name, c.ready, c.started, Object.keys(c.state ?? {})[0]])).toEqual([
      ['side', true, true, 'running'],
      ['setup', false, false, 'terminated'],
    ]);
    const k = kubectlBinaries('sidecar')[0];
    const env = { HOME: path.join(home, k.ns) };
    expect((await run(k.bin, ['--kubeconfig', kubeconfig, 'logs', 'sidecar', '-c', 'setup'], { env })).stdout).toBe('side up\n');
    const done = await waitFor('the pod to succeed', async () => {
      const p = await admin.get<Pod>(Resources.pods, ns, 'sidecar');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    }, 30_000);
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0 });
    // The sidecar was stopped after the container ended, not before.
    const side = done.status?.initContainerStatuses?.[0]?.state?.terminated;
    const main = done.status?.containerStatuses?.[0]?.state?.terminated;
    expect(Date.parse(side?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(main?.finishedAt ?? ''));
    await admin.delete(Resources.pods, ns, 'sidecar');
  });

  test("termination messages: what the container wrote to /dev/termination-log; with FallbackToLogsOnError, the end of its log", async () => {
    const job = (name: string, script: string, policy?: string): Pod => ({
      metadata: { name },
      spec: { nodeName, restartPolicy: 'Never', containers: [{ name: 'app', image: IMAGES.busybox, command: ['sh', '-c', script], ...(policy ? { terminationMessagePolicy: policy as 'File' } : {}) }] },
    });
    await admin.create<Pod>(Resources.pods, ns, job('message-file', 'echo "bye from app" > /dev/termination-log; exit 3'));
    await admin.create<Pod>(Resources.pods, ns, job('message-logs', 'echo first; echo "it broke"; exit 2', 'FallbackToLogsOnError'));
    const ended = async (name: string) =>
      waitFor(`${name} to fail`, async () => {
        const p = await admin.get<Pod>(Resources.pods, ns, name);
        return p.status?.phase === 'Failed' ? p.status.containerStatuses?.[0]?.state?.terminated : undefined;
      });
    expect(await ended('message-file')).toMatchObject({ exitCode: 3, message: 'bye from app\n' });
    expect(await ended('message-logs')).toMatchObject({ exitCode: 2, message: 'first\nit broke\n' });
    for (const name of ['message-file', 'message-logs']) await admin.delete(Resources.pods, ns, name);
  });

  test('a RuntimeClass names the CRI handler: runc runs the pod; a handler containerd lacks fails its sandbox', async () => {
    const runtimeClass = (name: string, handler: string) => admin.create(Resources.runtimeclasses, undefined, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler });
    await runtimeClass('e2e-runc', 'runc');
    await runtimeClass('e2e-kata', 'kata');
    const podWith = (name: string, runtimeClassName: string): Pod => ({
      metadata: { name },
      spec: { nodeName, runtimeClassName, terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: IMAGES.busybox, command: ['sleep', '3600'] }] },
    });
    try {
      await admin.create<Pod>(Resources.pods, ns, podWith('rc-runc', 'e2e-runc'));
      await admin.create<Pod>(Resources.pods, ns, podWith('rc-kata', 'e2e-kata'));
      await waitFor('rc-runc running', async () => (await admin.get<Pod>(Resources.pods, ns, 'rc-runc')).status?.phase === 'Running', 60_000);
      const failure = await waitFor('the sandbox failure of rc-kata', async () => {
        const evs = await admin.list<Event>(Resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=rc-kata,reason=FailedCreatePodSandBox' });
        return evs.items[0]?.message;
      }, 60_000);
      // containerd's own refusal: it has no runtime of that name.
      expect(failure).toMatch(/^Failed to create pod sandbox: .*"kata"/);
      expect((await admin.get<Pod>(Resources.pods, ns, 'rc-kata')).status?.phase).toBe('Pending');
    } finally {
      for (const name of ['rc-runc', 'rc-kata']) await admin.delete(Resources.pods, ns, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      for (const name of ['e2e-runc', 'e2e-kata']) await admin.delete(Resources.runtimeclasses, undefined, name).catch(() => undefined);
    }
  });

  test('kubectl cp of 50 MiB both ways is identical', async () => {
    const k = kubectlBinaries('big')[0];
    const env = { HOME: path.join(home, k.ns) };
    const local = path.join(home, 'big.bin');
    fs.writeFileSync(local, crypto.randomBytes(50 * 1024 * 1024));
    const to = await run(k.bin, ['--kubeconfig', kubeconfig, 'cp', local, 'bb:/tmp/big.bin'], { env, timeoutMs: 240_000 });
    expect(to.code).toBe(0);
    const back = path.join(home, 'big-back.bin');
    const from = await run(k.bin, ['--kubeconfig', kubeconfig, 'cp', 'bb:/tmp/big.bin', back], { env, timeoutMs: 240_000 });
    expect(from.code).toBe(0);
    expect((await run('cmp', [local, back])).code).toBe(0);
    await run(k.bin, ['--kubeconfig', kubeconfig, 'exec', 'bb', '--', 'rm', '-f', '/tmp/big.bin'], { env });
  });

  describe('steer verbs (the built binary)', () => {
    const steerBin = path.join(__dirname, '..', '..', 'bin', 'steer.js');
    const steer = (args: string[], o: { stdin?: string } = {}) => run(process.execPath, [steerBin, '--kubeconfig', kubeconfig, ...args], { ...o, timeoutMs: 120_000 });

    test('steer exec: outputs and the exit code, and the unknown container', async () => {
      const r = await steer(['exec', 'bb', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: expect.stringContaining('err\n') });
      expect(r.stderr).toContain('command terminated with exit code 3');
      expect(await steer(['exec', 'bb', '--', 'echo', 'hi'])).toMatchObject({ code: 0, stdout: 'hi\n' });
      const nope = await steer(['exec', 'bb', '-c', 'nope', '--', 'true']);
      expect(nope.code).toBe(1);
      expect(nope.stderr).toContain('Error from server (BadRequest): container nope is not valid for pod bb');
    });

    test('steer cp both ways is identical', async () => {
      const local = path.join(home, 'steer-f.bin');
      fs.writeFileSync(local, crypto.randomBytes(300_000));
      expect((await steer(['cp', local, 'bb:/tmp/steer-f.bin'])).code).toBe(0);
      const back = path.join(home, 'steer-back.bin');
      const from = await steer(['cp', 'bb:/tmp/steer-f.bin', back]);
      expect(from.code).toBe(0);
      expect((await run('cmp', [local, back])).code).toBe(0);
    });

    test('steer attach streams the output', async () => {
      const child = spawn(process.execPath, [steerBin, '--kubeconfig', kubeconfig, 'attach', 'bb']);
      children.push(child);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('attach output', () => /tick \d+/.test(out), 30_000);
      child.kill('SIGKILL');
    });

    test('steer port-forward serves nginx repeatedly', async () => {
      const child = spawn(process.execPath, [steerBin, '--kubeconfig', kubeconfig, 'port-forward', 'pod/web', ':80', ':8081']);
      children.push(child);
      await expectForwardsWebPod(child);
    });
  });

  describe('@kubernetes/client-node', () => {
    const sink = () => {
      let text = '';
      const w = new Writable({
        write(chunk: Buffer, _enc, cb) {
          text += chunk.toString();
          cb();
        },
      });
      return { w, text: () => text };
    };

    test('Exec: output and the exit status', async () => {
      const out = sink();
      const err = sink();
      const status = await new Promise<V1Status>((resolve) => {
        void new Exec(kc).exec(ns, 'bb', 'bb', ['sh', '-c', 'echo from-client-node; echo e >&2; exit 7'], out.w, err.w, null, false, (s) => resolve(s));
      });
      expect(out.text()).toBe('from-client-node\n');
      expect(err.text()).toBe('e\n');
      expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode' });
      expect(status.details?.causes?.[0]?.message).toBe('7');
    });

    // Not Cp.cpFromPod: client-node 1.4.0 runs `tar zcf -` in the pod and feeds the gzip stream to
    // tar-fs's extract, which does not gunzip ("Unexpected end of data") — against any server.
    test('Exec streams a tar out of the pod into a local extract (what Cp.cpFromPod means to do)', async () => {
      const r = await run(kubectlBinaries('cn')[0].bin, ['--kubeconfig', kubeconfig, 'exec', 'bb', '--', 'sh', '-c', 'echo client-node-cp > /tmp/cn.txt'], { env: { HOME: path.join(home, 'cn') } });
      expect(r.code).toBe(0);
      const dir = fs.mkdtempSync(path.join(home, 'cn-'));
      const extract = spawn('tar', ['xf', '-', '-C', dir]);
      const status = await new Promise<V1Status>((resolve) => {
        void new Exec(kc).exec(ns, 'bb', 'bb', ['tar', 'cf', '-', '-C', '/tmp', 'cn.txt'], extract.stdin, process.stderr, null, false, (s) => resolve(s));
      });
      expect(status.status).toBe('Success');
      await new Promise((r) => extract.on('close', r));
      expect(fs.readFileSync(path.join(dir, 'cn.txt'), 'utf8')).toBe('client-node-cp\n');
    });

    test('PortForward serves nginx, one WebSocket per connection, several connections', async () => {
      const pf = new PortForward(kc);
      const server = net.createServer((socket) => {
        void pf.portForward(ns, 'web', [80], socket, null, socket);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as net.AddressInfo).port;
      try {
        for (let i = 0; i < 3; i++) {
          const r = await httpGetText(`http://127.0.0.1:${port}/`);
          expect(r.code).toBe(200);
          expect(r.body).toMatch(/nginx/i);
        }
      } finally {
        server.close();
      }
    });

    test("PortForward (WebSocket) reaches a listener on the pod's loopback only, and a closed port reports kube's error", async () => {
      /** One port-forward WebSocket to web: what came on the data and error channels (port prefixes taken off). */
      const forward = (port: number) =>
        new Promise<{ data: string; error: string }>((resolve, reject) => {
          const ws = apiWebSocket(`web/portforward?ports=${port}`);
          const got = { data: '', error: '' };
          const prefixSeen = [false, false];
          ws.on('open', () => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\n\r\n')])));
          ws.on('message', (d: Buffer) => {
            const ch = d[0];
            let payload = d.subarray(1);
            if (!prefixSeen[ch]) {
              prefixSeen[ch] = true;
              expect(payload.readUInt16LE(0)).toBe(port);
              payload = payload.subarray(2);
            }
            if (ch === 0) got.data += payload.toString();
            else got.error += payload.toString();
          });
          ws.on('close', () => resolve(got));
          ws.on('error', reject);
        });
      const page = await forward(8082);
      expect(page.error).toBe('');
      expect(page.data).toMatch(/^HTTP\/1\.[01] 200 OK[\s\S]*local-page\n$/);
      const refused = await forward(8089);
      expect(refused.data).toBe('');
      expect(refused.error).toMatch(/^error forwarding port 8089 to pod [^ ]+, uid : .*connection refused/);
    });

    test('Cp.cpToPod: the file arrives and tar ends (it stops at the archive end marker, not at stdin EOF)', async () => {
      const dir = fs.mkdtempSync(path.join(home, 'cn-up-'));
      fs.writeFileSync(path.join(dir, 'up.txt'), 'uploaded\n');
      await new Cp(kc).cpToPod(ns, 'bb', 'bb', dir, '/tmp');
      await waitFor('the file, and tar gone', async () => {
        const cat = await run(kubectlBinaries('cn')[0].bin, ['--kubeconfig', kubeconfig, 'exec', 'bb', '--', 'cat', '/tmp/up.txt'], { env: { HOME: path.join(home, 'cn') } });
        return cat.stdout === 'uploaded\n' && (await processesIn(/tar xf/)).length === 0;
      }, 15_000);
    });

    // Cp.cpFromPod cannot work against any server in client-node 1.4.0: dist/cp.js line 17 runs
    // `tar zcf -` in the container and line 22 pipes its output into tar-fs's `extract` (tar-fs 3.1.3 over
    // tar-stream 3.2.2), which reads plain tar only — gzip bytes fail at tar-stream/headers.js line 116
    // ("Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?"), or, once the input
    // ends, at tar-stream/extract.js line 304 ("Unexpected end of data"); cp.js lines 24-28 then throw from
    // the exec callback (an unhandled rejection), and cpFromPod resolves before anything is copied. Here
    // steer runs the very command and serves its bytes as kube's kubelet does: a valid gzip'd tar, which
    // extracts once gunzipped, and which tar-fs's extract alone refuses.
    test('Cp.cpFromPod: steer serves `tar zcf -` as the kubelet does; client-node extracts it without gunzip (its bug)', async () => {
      const r = await run(kubectlBinaries('cn')[0].bin, ['--kubeconfig', kubeconfig, 'exec', 'bb', '--', 'sh', '-c', 'echo client-node-cp-from > /tmp/cnf.txt'], { env: { HOME: path.join(home, 'cn') } });
      expect(r.code).toBe(0);
      const parts: Buffer[] = [];
      const out = new Writable({
        write(chunk: Buffer, _enc, cb) {
          parts.push(Buffer.from(chunk));
          cb();
        },
      });
      const err = sink();
      // What cpFromPod runs (cp.js line 17), with its cwd argument.
      const status = await new Promise<V1Status>((resolve) => {
        void new Exec(kc).exec(ns, 'bb', 'bb', ['tar', 'zcf', '-', '-C', '/tmp', 'cnf.txt'], out, err.w, null, false, (s) => resolve(s));
      });
      expect(status.status).toBe('Success');
      expect(err.text()).toBe('');
      const gz = Buffer.concat(parts);
      expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip's magic: the command's stdout as is
      // Gunzipped, it is the tar of the file (system tar reads it).
      const dir = fs.mkdtempSync(path.join(home, 'cnf-'));
      const untar = spawn('tar', ['xzf', '-', '-C', dir]);
      untar.stdin.end(gz);
      expect(await new Promise((r) => untar.on('close', r))).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'cnf.txt'), 'utf8')).toBe('client-node-cp-from\n');
      // The same bytes into what cp.js line 22 makes, tar-fs's extract: refused, it does not gunzip.
      const tarFs = require('tar-fs') as { extract(cwd: string): Writable };
      const target = fs.mkdtempSync(path.join(home, 'cnf-tarfs-'));
      const refused = await new Promise<Error | undefined>((resolve) => {
        const extract = tarFs.extract(target);
        extract.on('error', resolve);
        extract.on('finish', () => resolve(undefined));
        extract.end(gz);
      });
      expect(refused?.message).toMatch(/Invalid tar header|Unexpected end of data/);
      expect(fs.existsSync(path.join(target, 'cnf.txt'))).toBe(false);
      // And gunzipped first (what cpFromPod lacks), tar-fs extracts it.
      const fixed = fs.mkdtempSync(path.join(home, 'cnf-fixed-'));
      await new Promise<void>((resolve, reject) => {
        const extract = tarFs.extract(fixed);
        extract.on('error', reject);
        extract.on('finish', () => resolve());
        extract.end(zlib.gunzipSync(gz));
      });
      await waitFor('the extracted file', () => (fs.existsSync(path.join(fixed, 'cnf.txt')) ? true : undefined), 5_000);
      expect(fs.readFileSync(path.join(fixed, 'cnf.txt'), 'utf8')).toBe('client-node-cp-from\n');
    });

    // containerd 1.6's streaming server speaks WebSocket v4 at most, which cannot half-close stdin: the agent
    // terminates v5 itself and reaches the runtime over SPDY, where the CLOSE becomes the stdin stream's FIN.
    test('Exec with stdin: the end of stdin reaches the process (cat exits)', async () => {
      const out = sink();
      const status = await new Promise<V1Status>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('cat did not end within 10 s: stdin never reached EOF')), 10_000);
        void new Exec(kc).exec(ns, 'bb', 'bb', ['cat'], out.w, process.stderr, Readable.from([Buffer.from('to eof\n')]), false, (s) => (clearTimeout(timer), resolve(s)));
      });
      expect(status.status).toBe('Success');
      expect(out.text()).toBe('to eof\n');
    });
  });

  test('sessions keep working while other pods churn: exec output and port-forwarded pages stay whole', async () => {
    const labels = { app: 'churn' };
    await admin.create<Deployment>(Resources.deployments, ns, {
      metadata: { name: 'churn' },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: IMAGES.busybox, command: ['sleep', '3600'] }] } },
      },
    });
    // A numbered line every 100 ms for as long as the churn lasts; kubectl 1.20 forwarding the sidecar.
    const exec = await openExec('bb', ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done']);
    if (!('ws' in exec)) throw new Error(`exec refused: ${JSON.stringify(exec)}`);
    const forward = spawn(KUBECTL_120, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', ':8081'], { env: { ...process.env, HOME: path.join(home, 'churn') } });
    children.push(forward);
    let forwardOut = '';
    forward.stdout.on('data', (d: Buffer) => (forwardOut += d.toString()));
    const local = await waitFor('forwarding', () => /127\.0\.0\.1:(\d+) -> 8081/.exec(forwardOut)?.[1], 30_000);
    let pages = 0;
    let churning = true;
    const fetching = (async () => {
      while (churning) {
        expect(await httpGetText(`http://127.0.0.1:${local}/`)).toEqual({ code: 200, body: 'side-page\n' });
        pages++;
        await sleep(200);
      }
    })();
    const running = async () => (await admin.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=churn' })).items.filter((p) => p.status?.phase === 'Running').length;
    const present = async () => (await admin.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=churn' })).items.length;
    try {
      for (const replicas of [3, 0, 2, 0]) {
        const pagesBefore = pages;
        await admin.patch(Resources.deployments, ns, 'churn', { spec: { replicas } });
        if (replicas > 0) await waitFor(`${replicas} churn pods running`, async () => (await running()) === replicas, 120_000);
        else await waitFor('no churn pods', async () => (await present()) === 0, 120_000);
        // A page served across every step (a step can now settle faster than one page's round trip).
        await waitFor(`a forwarded page after scaling to ${replicas}`, () => pages > pagesBefore, 30_000);
      }
    } finally {
      churning = false;
      await fetching;
    }
    await gone(exec.ws);
    forward.kill('SIGTERM');
    // Every line, in order, none lost or doubled (the last may be cut by the close).
    const lines = exec.stdout().split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines).toEqual(lines.map((_l, i) => `line ${i}`));
    expect(pages).toBeGreaterThan(3);
    await admin.delete(Resources.deployments, ns, 'churn');
  }, 600_000);

  test(`the agent's session limits answer 429 with Retry-After through the apiserver (${MAX_SESSIONS_PER_POD} per pod, ${MAX_SESSIONS} in all), and free up when sessions end`, async () => {
    await waitFor('no sessions open', async () => (await agentOpenSessions()) === 0, 30_000);
    const held: WebSocket[] = [];
    const hold = async (pod: string) => {
      const r = await openExec(pod, ['sleep', '3601'], pod === 'web' ? 'side' : undefined);
      if (!('ws' in r)) throw new Error(`session ${held.length + 1} refused: ${JSON.stringify(r)}`);
      held.push(r.ws);
    };
    try {
      for (let i = 0; i < MAX_SESSIONS_PER_POD; i++) await hold('bb');
      const perPod = await openExec('bb', ['true']);
      expect(perPod).toMatchObject({ code: 429, retryAfter: '60', status: { code: 429, reason: 'TooManyRequests', message: `too many open streaming sessions to pod ${ns}/bb` } });
      // Another pod still has room, until the node's total is reached.
      for (let i = MAX_SESSIONS_PER_POD; i < MAX_SESSIONS; i++) await hold('web');
      const total = await openExec('web', ['true'], 'side');
      expect(total).toMatchObject({ code: 429, retryAfter: '60', status: { code: 429, reason: 'TooManyRequests', message: 'too many open streaming sessions on this node' } });
      expect(await agentOpenSessions()).toBe(MAX_SESSIONS);
    } finally {
      await Promise.all(held.map(gone));
    }
    // Ended sessions are released: a new one runs to its end.
    await waitFor('sessions released', async () => (await agentOpenSessions()) === 0, 30_000);
    const again = await openExec('bb', ['echo', 'room-again']);
    if (!('ws' in again)) throw new Error(`refused after release: ${JSON.stringify(again)}`);
    await closed(again.ws);
    expect(again.stdout()).toBe('room-again\n');
    // The clients left first: the agent ended their sleeps.
    await waitFor('the sleeps to be gone', async () => (await processesIn(/sleep 3601/)).length === 0, 20_000);
  });

  test('every session is over: the agent metrics show none open', async () => {
    const open = await waitFor('no open sessions', async () => {
      const text = await agentMetrics();
      const lines = text.split('\n').filter((l) => l.startsWith('steer_node_agent_streaming_sessions{'));
      return lines.every((l) => / 0$/.test(l)) ? text : undefined;
    }, 30_000);
    expect(open).toMatch(/steer_node_agent_streaming_sessions_total\{[^}]*result="opened"[^}]*\} [1-9]/);
    expect(open).toMatch(/steer_node_agent_streaming_bytes_total\{[^}]*direction="out"[^}]*\} [1-9]/);
  });
});
