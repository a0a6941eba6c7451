// The network policy enforcer for real, inside network namespaces this test creates: a "node" namespace
// with a Linux bridge (as CNI's bridge plugin makes; br_netfilter passes bridged traffic through FORWARD)
// and three "pods" behind veths on it: a server pod with two HTTP ports, a client pod in the same
// Kubernetes namespace and one in another. NetworkPolicies and pods come from a real in-process
// apiserver; connections are made with curl from the pods' namespaces. Needs root.
import { ChildProcess, spawn } from 'node:child_process';
import type { Namespace, Pod } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { Resources } from '../../lib/api/resources';
import { NetworkPolicyEnforcer } from '../../node-agent/network/network-policy';
import { runCommand } from '../../node-agent/network/iptables';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

jest.setTimeout(120_000);

const suffix = `${process.pid % 100000}`;
const nodeNs = `steer-npn-${suffix}`;
const pods = {
  server: { netns: `steer-nps-${suffix}`, ip: '10.79.0.2', namespace: 'default', labels: { app: 'web' } },
  client: { netns: `steer-npc-${suffix}`, ip: '10.79.0.3', namespace: 'default', labels: { app: 'client' } },
  outsider: { netns: `steer-npo-${suffix}`, ip: '10.79.0.4', namespace: 'other', labels: { app: 'client' } },
};
type PodName = keyof typeof pods;
const nodeName = 'np-node';
const instance = `network-policy-test-${suffix}`;

let api: TestApiServer;
let enforcer: NetworkPolicyEnforcer | undefined;
const servers: ChildProcess[] = [];

async function sh(args: string[]): Promise<string> {
  const r = await runCommand([], args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** curl from a pod to the server pod's port: the body, or `exit N` (7: refused, 28: timed out). */
async function connect(from: PodName, port: number): Promise<string> {
  const r = await runCommand(['ip', 'netns', 'exec', pods[from].netns], ['curl', '-s', '-m', '3', `http://${pods.server.ip}:${port}/`]);
  return r.code === 0 ? r.stdout : `exit ${r.code}`;
}

const served = (port: number) => `served ${port}`;

function podObject(name: PodName): Pod {
  const p = pods[name];
  return {
    metadata: { name, namespace: p.namespace, labels: p.labels },
    spec: { nodeName, containers: [{ name: 'c', image: 'nginx', ports: name === 'server' ? [{ name: 'http', containerPort: 8080 }] : [] }] },
  };
}

async function createPolicy(namespace: string, policy: NetworkPolicy): Promise<void> {
  await api.client.create(Resources.networkpolicies, namespace, policy);
  await enforcer!.settled();
}

async function deletePolicy(namespace: string, name: string): Promise<void> {
  await api.client.delete(Resources.networkpolicies, namespace, name);
  await enforcer!.settled();
}

async function forwardRules(): Promise<string[]> {
  return (await sh(['ip', 'netns', 'exec', nodeNs, 'iptables', '-w', '5', '-S', 'FORWARD'])).split('\n').filter((l) => l.startsWith('-A '));
}

beforeAll(async () => {
  await sh(['ip', 'netns', 'add', nodeNs]);
  const inNode = (...a: string[]) => sh(['ip', 'netns', 'exec', nodeNs, ...a]);
  await inNode('ip', 'link', 'set', 'lo', 'up');
  await inNode('ip', 'link', 'add', 'br0', 'type', 'bridge');
  await inNode('ip', 'addr', 'add', '10.79.0.1/24', 'dev', 'br0');
  await inNode('ip', 'link', 'set', 'br0', 'up');
  for (const [i, p] of Object.values(pods).entries()) {
    await sh(['ip', 'netns', 'add', p.netns]);
    const inPod = (...a: string[]) => sh(['ip', 'netns', 'exec', p.netns, ...a]);
    await inPod('ip', 'link', 'set', 'lo', 'up');
    await inNode('ip', 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.netns);
    await inNode('ip', 'link', 'set', `veth${i}`, 'master', 'br0');
    await inNode('ip', 'link', 'set', `veth${i}`, 'up');
    await inPod('ip', 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0');
    await inPod('ip', 'link', 'set', 'eth0', 'up');
  }
  // Bridged traffic goes through iptables' FORWARD, as on a node whose CNI bridge has br_netfilter.
  expect((await inNode('cat', '/proc/sys/net/bridge/bridge-nf-call-iptables')).trim()).toBe('1');
  for (const port of [8080, 8081]) {
    const code = `require('http').createServer((q, s) => s.end('served ${port}')).listen(${port}, '${pods.server.ip}', () => console.log('up'))`;
    const child = spawn('ip', ['netns', 'exec', pods.server.netns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`server on ${port} exited (${code})`)));
    });
  }
  api = await startTestApiServer();
  await api.client.create<Namespace>(Resources.namespaces, undefined, { metadata: { name: 'other', labels: { team: 'a' } } });
  for (const name of Object.keys(pods) as PodName[]) {
    const created = await api.client.create<Pod>(Resources.pods, pods[name].namespace, podObject(name));
    await api.client.update<Pod>(Resources.pods, { ...created, status: { phase: 'Running', podIP: pods[name].ip, podIPs: [{ ip: pods[name].ip }] } }, 'status');
  }
});

afterAll(async () => {
  await enforcer?.stop().catch(() => undefined);
  for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
  await api?.stop();
  for (const p of Object.values(pods)) await runCommand([], ['ip', 'netns', 'del', p.netns]);
  await runCommand([], ['ip', 'netns', 'del', nodeNs]);
});

it('enforces ingress and egress policies on the node, keeps its jump first in FORWARD and cleans up', async () => {
  enforcer = new NetworkPolicyEnforcer({
    client: api.client,
    nodeName,
    instance,
    minSyncIntervalMs: 20,
    checkIntervalMs: 0, // checkHook() is called by the test
    commandPrefix: ['ip', 'netns', 'exec', nodeNs],
    log: () => undefined,
  });
  await enforcer.start();
  const prefix = enforcer.chainPrefix;
  expect((await forwardRules())[0]).toContain(`-j ${prefix}FORWARD`);
  // No policy: everyone reaches the server.
  expect(await connect('client', 8080)).toBe(served(8080));
  expect(await connect('outsider', 8081)).toBe(served(8081));

  // Deny all ingress to the server: refused at once (REJECT), not timed out.
  await createPolicy('default', { metadata: { name: 'deny' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } });
  expect(await connect('client', 8080)).toBe('exit 7');
  expect(await connect('outsider', 8080)).toBe('exit 7');

  // Allow the namespace's clients on the named port only (policies add up).
  await createPolicy('default', {
    metadata: { name: 'clients-http' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }] },
  });
  expect(await connect('client', 8080)).toBe(served(8080));
  expect(await connect('client', 8081)).toBe('exit 7');
  expect(await connect('outsider', 8080)).toBe('exit 7');

  // A namespace selector lets the other namespace's pods in, on every port.
  await createPolicy('default', { metadata: { name: 'team-a' }, spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] } });
  expect(await connect('outsider', 8081)).toBe(served(8081));
  // …until the namespace loses the label.
  await api.client.patch(Resources.namespaces, undefined, 'other', { metadata: { labels: { team: 'b' } } });
  await waitFor('the relabelled namespace to be refused', async () => (await connect('outsider', 8081)) === 'exit 7', 10_000);

  // A pod that loses the selected label loses its access.
  await api.client.patch(Resources.pods, 'default', 'client', { metadata: { labels: { app: 'not-a-client' } } });
  await waitFor('the relabelled client to be refused', async () => (await connect('client', 8080)) === 'exit 7', 10_000);
  await api.client.patch(Resources.pods, 'default', 'client', { metadata: { labels: { app: 'client' } } });
  await waitFor('the client to be let in again', async () => (await connect('client', 8080)) === served(8080), 10_000);

  // An ipBlock with an except range: the outsider's address is in the block but excepted.
  await createPolicy('default', {
    metadata: { name: 'block' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.79.0.0/24', except: ['10.79.0.4/32'] } }], ports: [{ port: 8081 }] }] },
  });
  expect(await connect('client', 8081)).toBe(served(8081));
  expect(await connect('outsider', 8081)).toBe('exit 7');

  // Egress: the client may only reach port 8081; its other connections are refused on the way out.
  await createPolicy('default', {
    metadata: { name: 'client-out' },
    spec: { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }], ports: [{ port: 8081 }] }] },
  });
  expect(await connect('client', 8081)).toBe(served(8081));
  expect(await connect('client', 8080)).toBe('exit 7');
  await deletePolicy('default', 'client-out');
  expect(await connect('client', 8080)).toBe(served(8080));

  // Something inserted before our jump (the service proxy resyncing, a firewall): put back first.
  await sh(['ip', 'netns', 'exec', nodeNs, 'iptables', '-w', '5', '-I', 'FORWARD', '1', '-m', 'comment', '--comment', 'test accepts all', '-j', 'ACCEPT']);
  expect(await connect('outsider', 8080)).toBe(served(8080));
  expect(await enforcer.checkHook()).toBe(true);
  await waitFor('the jump to be first again', async () => (await forwardRules())[0].includes(`-j ${prefix}FORWARD`), 10_000);
  expect(await connect('outsider', 8080)).toBe('exit 7');
  expect(await enforcer.checkHook()).toBe(false);

  // Policies gone: everything open again, and only the FORWARD chain of ours remains.
  for (const name of ['deny', 'clients-http', 'team-a', 'block']) await deletePolicy('default', name);
  expect(await connect('outsider', 8080)).toBe(served(8080));
  const save = await sh(['ip', 'netns', 'exec', nodeNs, 'iptables-save', '-t', 'filter']);
  expect(save.split('\n').filter((l) => l.startsWith(`:${prefix}`))).toEqual([`:${prefix}FORWARD - [0:0]`]);

  await enforcer.stop();
  enforcer = undefined;
  const after = await sh(['ip', 'netns', 'exec', nodeNs, 'iptables-save', '-t', 'filter']);
  expect(after).not.toContain(prefix);
});
