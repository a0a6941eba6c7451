// The service proxy for real, inside network namespaces this test creates: a "node" namespace where the
// proxy's iptables rules live, and a "pod" namespace behind a veth pair where two tiny HTTP servers
// play the endpoints, and an "outside" namespace behind another veth plays a client from elsewhere
// (LoadBalancer and external IPs, externalTrafficPolicy Local). Services and Endpoints come from a real
// in-process apiserver. Needs root.
import { ChildProcess, spawn } from 'node:child_process';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { chainTag } from '../../node-agent/network/proxy-rules';
import { runCommand } from '../../node-agent/network/iptables';
import { ServiceProxy } from '../../node-agent/network/service-proxy';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { httpGet } from './helpers/net';
import { waitFor } from '../helpers/wait';

jest.setTimeout(90_000);

const suffix = `${process.pid % 100000}`;
const nodeNs = `steer-spn-${suffix}`;
const podNs = `steer-spp-${suffix}`;
/** A client outside the cluster, reaching the node through its own link (as a load balancer would). */
const extNs = `steer-spe-${suffix}`;
const extIP = '192.168.251.2';
const nodeIP = '10.77.0.1';
const podIP = '10.77.0.2';
const instance = `service-proxy-test-${suffix}`;

let api: TestApiServer;
let proxy: ServiceProxy | undefined;
const servers: ChildProcess[] = [];

async function sh(args: string[], input?: string): Promise<string> {
  const r = await runCommand([], args, input);
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** curl from a namespace; resolves with the body, or with `exit N` when curl fails. */
async function curl(ns: string, url: string): Promise<string> {
  const r = await runCommand(['ip', 'netns', 'exec', ns], ['curl', '-s', '-m', '2', url]);
  return r.code === 0 ? r.stdout : `exit ${r.code}`;
}

function startServer(port: number): ChildProcess {
  // Answers with its own port and the caller's address, so the test sees which endpoint served it.
  const code = `require('http').createServer((q, s) => s.end('pod:${port} from ' + q.socket.remoteAddress)).listen(${port}, '${podIP}', () => console.log('up'))`;
  const child = spawn('ip', ['netns', 'exec', podNs, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  return child;
}

beforeAll(async () => {
  await sh(['ip', 'netns', 'add', nodeNs]);
  await sh(['ip', 'netns', 'add', podNs]);
  const inNode = (...a: string[]) => sh(['ip', 'netns', 'exec', nodeNs, ...a]);
  const inPod = (...a: string[]) => sh(['ip', 'netns', 'exec', podNs, ...a]);
  await inNode('ip', 'link', 'set', 'lo', 'up');
  await inPod('ip', 'link', 'set', 'lo', 'up');
  await inNode('ip', 'link', 'add', 'veth-node', 'type', 'veth', 'peer', 'name', 'veth-pod', 'netns', podNs);
  await inNode('ip', 'addr', 'add', `${nodeIP}/24`, 'dev', 'veth-node');
  await inNode('ip', 'link', 'set', 'veth-node', 'up');
  await inPod('ip', 'addr', 'add', `${podIP}/24`, 'dev', 'veth-pod');
  await inPod('ip', 'link', 'set', 'veth-pod', 'up');
  await inPod('ip', 'route', 'add', 'default', 'via', nodeIP);
  // The node needs a route for ClusterIPs (a host has its default route) and forwards pod traffic.
  // (a veth pair whose far end stays in the namespace: this kernel has no dummy device)
  await inNode('ip', 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer');
  await inNode('ip', 'addr', 'add', '192.168.250.1/24', 'dev', 'uplink');
  await inNode('ip', 'link', 'set', 'uplink-peer', 'up');
  await inNode('ip', 'link', 'set', 'uplink', 'up');
  await inNode('ip', 'route', 'add', 'default', 'dev', 'uplink');
  await inNode('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  await sh(['ip', 'netns', 'add', extNs]);
  await inNode('ip', 'link', 'add', 'veth-ext', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', extNs);
  await inNode('ip', 'addr', 'add', '192.168.251.1/24', 'dev', 'veth-ext');
  await inNode('ip', 'link', 'set', 'veth-ext', 'up');
  const inExt = (...a: string[]) => sh(['ip', 'netns', 'exec', extNs, ...a]);
  await inExt('ip', 'link', 'set', 'lo', 'up');
  await inExt('ip', 'addr', 'add', `${extIP}/24`, 'dev', 'eth0');
  await inExt('ip', 'link', 'set', 'eth0', 'up');
  await inExt('ip', 'route', 'add', 'default', 'via', '192.168.251.1');
  // A new namespace may inherit the host's value; start from Linux's default so the restore is seen.
  await inNode('sysctl', '-q', '-w', 'net.ipv4.conf.all.route_localnet=0');
  for (const port of [8080, 8081]) {
    const child = startServer(port);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`pod server on ${port} exited (${code})`)));
    });
  }
  api = await startTestApiServer();
});

afterAll(async () => {
  await proxy?.stop().catch(() => undefined);
  for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
  await api?.stop();
  await runCommand([], ['ip', 'netns', 'del', podNs]);
  await runCommand([], ['ip', 'netns', 'del', extNs]);
  await runCommand([], ['ip', 'netns', 'del', nodeNs]);
});

it('routes ClusterIP, NodePort (node IP and 127.0.0.1) and hairpin traffic to ready endpoints, and cleans up', async () => {
  const svc = await api.client.create<Service>(Resources.services, 'default', {
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  const clusterIP = svc.spec!.clusterIP!;
  const nodePort = svc.spec!.ports![0].nodePort!;
  const endpoints = (ports: number[]): Endpoints => ({
    metadata: { name: 'web', namespace: 'default' },
    subsets: ports.map((port) => ({ addresses: [{ ip: podIP }], ports: [{ name: 'http', port, protocol: 'TCP' }] })),
  });
  await api.client.create(Resources.endpoints, 'default', endpoints([8080]));

  proxy = new ServiceProxy({
    client: api.client,
    instance,
    clusterCIDR: '10.77.0.0/24',
    minSyncIntervalMs: 50,
    checkIntervalMs: 0, // checkRules() is called by the test
    commandPrefix: ['ip', 'netns', 'exec', nodeNs],
    log: () => undefined,
  });
  await proxy.start();
  const prefix = `STEER-${chainTag(instance)}-`;
  expect(proxy.chainPrefix).toBe(prefix);

  // From the node itself: ClusterIP, NodePort on the node IP and on localhost.
  expect(await curl(nodeNs, `http://${clusterIP}/`)).toMatch(/^pod:8080 from /);
  expect(await curl(nodeNs, `http://${nodeIP}:${nodePort}/`)).toMatch(/^pod:8080 from /);
  expect(await curl(nodeNs, `http://127.0.0.1:${nodePort}/`)).toMatch(/^pod:8080 from /);
  // Hairpin: the pod reaches itself through its Service; masqueraded to the node's address.
  expect(await curl(podNs, `http://${clusterIP}/`)).toBe(`pod:8080 from ${nodeIP}`);

  // A second endpoint: connections are spread over both.
  await api.client.update<Endpoints>(Resources.endpoints, { ...(await api.client.get<Endpoints>(Resources.endpoints, 'default', 'web')), subsets: endpoints([8080, 8081]).subsets });
  await waitFor('the second endpoint to serve', async () => (await curl(nodeNs, `http://${clusterIP}/`)).startsWith('pod:8081'), 10_000);
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add((await curl(nodeNs, `http://${clusterIP}/`)).slice(0, 8));
  expect([...seen].sort()).toEqual(['pod:8080', 'pod:8081']);

  // No endpoints: refused at once (REJECT), not a timeout.
  await api.client.update<Endpoints>(Resources.endpoints, { ...(await api.client.get<Endpoints>(Resources.endpoints, 'default', 'web')), subsets: [] });
  await waitFor('connection refused without endpoints', async () => (await curl(nodeNs, `http://${clusterIP}/`)) === 'exit 7', 10_000);
  expect(await curl(nodeNs, `http://${nodeIP}:${nodePort}/`)).toBe('exit 7');

  // Rules someone flushed come back on the next resync; the built-in chains only gain our jumps.
  await api.client.update<Endpoints>(Resources.endpoints, { ...(await api.client.get<Endpoints>(Resources.endpoints, 'default', 'web')), subsets: endpoints([8081]).subsets });
  await waitFor('the endpoint back', async () => (await curl(nodeNs, `http://${clusterIP}/`)).startsWith('pod:8081'), 10_000);
  await sh(['ip', 'netns', 'exec', nodeNs, 'iptables', '-t', 'nat', '-F', `${prefix}SERVICES`]);
  expect(await curl(nodeNs, `http://${clusterIP}/`)).not.toMatch(/^pod:/);
  proxy.resync();
  await waitFor('rules restored by a resync', async () => (await curl(nodeNs, `http://${clusterIP}/`)).startsWith('pod:8081'), 10_000);
  // A whole table flushed (a firewall reload): the periodic check misses the jump and resyncs.
  expect(await proxy.checkRules()).toBe(false);
  await sh(['ip', 'netns', 'exec', nodeNs, 'iptables', '-t', 'nat', '-F']);
  expect(await curl(nodeNs, `http://${clusterIP}/`)).not.toMatch(/^pod:/);
  expect(await proxy.checkRules()).toBe(true);
  await waitFor('rules restored after the check', async () => (await curl(nodeNs, `http://${clusterIP}/`)).startsWith('pod:8081'), 10_000);
  const nat = await sh(['ip', 'netns', 'exec', nodeNs, 'iptables-save', '-t', 'nat']);
  expect(nat.split('\n').filter((l) => /^-A (PREROUTING|OUTPUT|POSTROUTING) /.test(l))).toEqual([
    `-A PREROUTING -m comment --comment "steer service portals" -j ${prefix}SERVICES`,
    `-A OUTPUT -m comment --comment "steer service portals" -j ${prefix}SERVICES`,
    `-A POSTROUTING -m comment --comment "steer postrouting rules" -j ${prefix}POSTROUTING`,
  ]);

  await proxy.stop();
  proxy = undefined;
  for (const table of ['nat', 'filter']) {
    const left = await sh(['ip', 'netns', 'exec', nodeNs, 'iptables-save', '-t', table]);
    expect(left.split('\n').filter((l) => l.includes('STEER-'))).toEqual([]);
  }
  expect((await sh(['ip', 'netns', 'exec', nodeNs, 'sysctl', '-n', 'net.ipv4.conf.all.route_localnet'])).trim()).toBe('0');
  expect(await curl(nodeNs, `http://${clusterIP}/`)).not.toMatch(/^pod:/);
});

it("LoadBalancer ingress IPs and externalIPs; externalTrafficPolicy Local keeps outside clients' addresses and this node's endpoints, with its health check port; loadBalancerSourceRanges", async () => {
  const svc = await api.client.create<Service>(Resources.services, 'default', {
    metadata: { name: 'lb' },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', externalIPs: ['198.51.100.7'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  const healthPort = svc.spec!.healthCheckNodePort!;
  // The service load balancer's part, written by hand: the node's address as ingress.
  await api.client.update<Service>(Resources.services, { ...svc, status: { loadBalancer: { ingress: [{ ip: nodeIP, ipMode: 'VIP' }] } } }, 'status');
  /** The endpoint on port 8080 on this node (when local), the one on 8081 on another. */
  const lbEndpoints = (local: boolean): Endpoints => ({
    metadata: { name: 'lb', namespace: 'default' },
    subsets: [
      ...(local ? [{ addresses: [{ ip: podIP, nodeName: 'proxy-node' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] : []),
      { addresses: [{ ip: podIP, nodeName: 'other-node' }], ports: [{ name: 'http', port: 8081, protocol: 'TCP' }] },
    ],
  });
  await api.client.create(Resources.endpoints, 'default', lbEndpoints(true));
  proxy = new ServiceProxy({
    client: api.client,
    instance,
    nodeName: 'proxy-node',
    clusterCIDR: '10.77.0.0/24',
    minSyncIntervalMs: 50,
    checkIntervalMs: 0,
    healthCheckBindAddress: '127.0.0.1',
    commandPrefix: ['ip', 'netns', 'exec', nodeNs],
    log: () => undefined,
  });
  await proxy.start();
  expect(proxy.healthCheckPorts).toEqual([healthPort]);
  const health = async () => {
    const r = await httpGet('127.0.0.1', healthPort, '/');
    return { status: r.status, local: (JSON.parse(r.body) as { localEndpoints: number }).localEndpoints };
  };
  expect(await health()).toEqual({ status: 200, local: 1 });

  // From outside, at the LoadBalancer IP and the external IP: only this node's endpoint, the client's own address kept.
  for (const target of [`http://${nodeIP}/`, 'http://198.51.100.7/']) {
    for (let i = 0; i < 6; i++) expect(await curl(extNs, target)).toBe(`pod:8080 from ${extIP}`);
  }
  // From the node itself: every endpoint (masqueraded to the node's address).
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add((await curl(nodeNs, `http://${nodeIP}/`)).slice(0, 8));
  expect([...seen].sort()).toEqual(['pod:8080', 'pod:8081']);

  // No endpoint here any more: outside traffic dropped (a timeout, as kube-proxy's DROP), health 503.
  await api.client.update<Endpoints>(Resources.endpoints, { ...(await api.client.get<Endpoints>(Resources.endpoints, 'default', 'lb')), subsets: lbEndpoints(false).subsets });
  await waitFor('the health check to say 503', async () => (await health()).status === 503, 10_000);
  expect(await curl(extNs, `http://${nodeIP}/`)).toBe('exit 28');
  expect(await curl(nodeNs, `http://${nodeIP}/`)).toMatch(/^pod:8081/);

  // Cluster policy: outside traffic to every endpoint, masqueraded; the health check port closes.
  const current = await api.client.get<Service>(Resources.services, 'default', 'lb');
  await api.client.update<Service>(Resources.services, { ...current, spec: { ...current.spec, externalTrafficPolicy: 'Cluster' } });
  await waitFor('outside traffic served again', async () => (await curl(extNs, `http://${nodeIP}/`)).startsWith('pod:8081'), 10_000);
  expect(await curl(extNs, 'http://198.51.100.7/')).toBe(`pod:8081 from ${nodeIP}`);
  await waitFor('the health check port closed', async () => proxy!.healthCheckPorts.length === 0, 10_000);

  // loadBalancerSourceRanges: only the pod network may use the LoadBalancer IP; the node itself (its
  // address is in the range) still can; the external IP is not the load balancer's and stays open.
  const ranged = await api.client.get<Service>(Resources.services, 'default', 'lb');
  await api.client.update<Service>(Resources.services, { ...ranged, spec: { ...ranged.spec, loadBalancerSourceRanges: ['10.77.0.0/24'] } });
  await waitFor('the outside client dropped at the LoadBalancer IP', async () => (await curl(extNs, `http://${nodeIP}/`)) === 'exit 28', 15_000);
  expect(await curl(nodeNs, `http://${nodeIP}/`)).toMatch(/^pod:8081/);
  expect(await curl(extNs, 'http://198.51.100.7/')).toBe(`pod:8081 from ${nodeIP}`);
  await proxy.stop();
  proxy = undefined;
});
