// Cluster DNS end to end on real containerd (issue 14): an apiserver (kube-dns created at the 10th
// address of its Service range), the controllers (Endpoints) and one node agent with the service proxy
// and its DNS server, whose "host resolver" is a fake one on a loopback address pods cannot reach.
// From a busybox pod: resolv.conf as the kubelet writes it; wget of nginx, nginx.default and
// nginx.default.svc.cluster.local, nslookup of nginx and the full name (busybox's nslookup sends a name
// with a dot as it is, without the search list); a headless Service's endpoints and a pod's hostname.subdomain;
// SRV; PTR; an ExternalName; a name outside the cluster through the host's resolver; NXDOMAIN at once;
// a Service created after the pod started and one deleted, each answered within a second; the Default
// and None dnsPolicy; and glibc's TCP retry for a 60-address answer, from a network namespace this test
// creates (and deletes) on the host. With the agent's NetworkPolicy enforcer on: a policy isolating
// nginx refuses an unlabelled busybox by pod IP and ClusterIP, lets a labelled one in, and the node's
// readiness probes still pass. Needs root; run under the e2e lock.
import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dnsPacket from 'dns-packet';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { Resources } from '../../lib/api/resources';
import { agentRegistry } from '../../node-agent/metrics';
import { defaultNodeAddress } from '../../node-agent/node-status';
import { dnsChainName } from '../../node-agent/network/dns/redirect';
import { chainTag } from '../../node-agent/network/proxy-rules';
import { runCommand } from '../../node-agent/network/iptables';
import type { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { IMAGES } from '../../node-agent/runtime-setup';
import type { TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';
import { httpGet } from './helpers/net';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';
import type { TestRuntime } from './helpers/runtime';

jest.setTimeout(300_000);
const waitFor = waitForWithin(90_000);

const SERVICE_RANGE = '10.215.0.0/16';
const CLUSTER_DNS = '10.215.0.10';
/** The node's "host resolver": loopback, so only the agent (in the host's namespace) reaches it. */
const UPSTREAM = '127.53.0.1';
const suffix = String(process.pid % 100000);
const clientNs = `steer-dnsc-${suffix}`;
const vethHost = `vdns${suffix}`.slice(0, 15);

let cluster: SingleNodeCluster | undefined;
let rt: TestRuntime;
let api: TestApiServer;
let cri: CriRuntime;
let upstream: dgram.Socket | undefined;
let upstreamQueries: string[] = [];
let tmp: string;

/** The fake host resolver: outside.example → 192.0.2.77, everything else NXDOMAIN. */
async function startUpstream(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => {
    let q;
    try {
      q = dnsPacket.decode(m);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    upstreamQueries.push(`${question.name} ${question.type}`);
    const known = question.name.toLowerCase() === 'outside.example';
    s.send(
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
        questions: q.questions,
        answers: known && question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 30, data: '192.0.2.77' }] : [],
      }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((resolve) => s.bind(53, UPSTREAM, () => resolve()));
  return s;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function podContainerId(name: string): Promise<string> {
  const p = await api.client.get<Pod>(Resources.pods, 'default', name);
  return (p.status?.containerStatuses?.[0]?.containerID || '').replace(/^containerd:\/\//, '');
}

/** Runs a command in a pod's (first) container; output is stdout and stderr together. */
async function inPod(pod: string, cmd: string[], timeoutSeconds = 20): Promise<{ code: number; out: string }> {
  const r = await cri.execSync(await podContainerId(pod), cmd, timeoutSeconds);
  return { code: r.exitCode, out: r.stdout.toString('utf8') + r.stderr.toString('utf8') };
}

/** busybox nslookup's addresses (after the server's own lines). */
function addressesOf(out: string): string[] {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Name:'));
  return start < 0 ? [] : lines.slice(start).filter((l) => /^Address( \d+)?:/.test(l)).map((l) => l.replace(/^Address( \d+)?:\s*/, '').trim());
}

const isReady = (p: Pod) => p.status?.phase === 'Running' && (p.status.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');

async function createPod(pod: Pod): Promise<Pod> {
  await api.client.create<Pod>(Resources.pods, 'default', pod);
  return waitFor(`pod ${pod.metadata?.name} Ready`, async () => {
    const p = await api.client.get<Pod>(Resources.pods, 'default', pod.metadata!.name!);
    return isReady(p) && p;
  });
}

const busybox = (name: string, spec: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName: 'dns-e2e-node', terminationGracePeriodSeconds: 1, containers: [{ name: 'bb', image: IMAGES.busybox, command: ['sleep', '3600'] }], ...spec },
});

async function metric(pattern: RegExp): Promise<number> {
  const text = await agentRegistry.metrics();
  let sum = 0;
  for (const line of text.split('\n')) if (pattern.test(line)) sum += Number(line.split(' ').pop());
  return sum;
}

let nginxIP = '';
let nginxPodIP = '';

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-dns-e2e-'));
  fs.writeFileSync(path.join(tmp, 'resolv.conf'), `nameserver ${UPSTREAM}\nsearch corp.example\n`);
  upstream = await startUpstream();
  cluster = await startSingleNodeCluster({
    name: 'dns',
    nodeName: 'dns-e2e-node',
    api: { serviceClusterIPRange: SERVICE_RANGE },
    agent: ({ rt }) => ({
      clusterDNS: [CLUSTER_DNS],
      clusterDomain: 'cluster.local',
      resolvConf: path.join(tmp, 'resolv.conf'),
      serviceProxy: { instance: rt.bridge, clusterCIDR: rt.podSubnet },
      networkPolicy: true,
      // The node's address, as by default, but port 0: a free port (port 53 there may be a running
      // cluster's); the DNAT maps 53 to it.
      dnsServer: { listen: [{ host: defaultNodeAddress(), port: 0 }] },
    }),
    controllers: ['endpoints'],
    controllerOptions: { leaderElect: false },
  });
  ({ rt, api, cri } = cluster);
  await cluster.agent.dns!.serving;
});

afterAll(async () => {
  try {
    sh('ip', ['netns', 'del', clientNs]);
  } catch {
    // not created
  }
  fs.rmSync(`/etc/netns/${clientNs}`, { recursive: true, force: true });
  await cluster?.stop();
  upstream?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cluster DNS from pods on real containerd', () => {
  test('kube-dns at the 10th address; the agent DNATs it to its own server', async () => {
    const dns = await api.client.get<Service>(Resources.services, 'kube-system', 'kube-dns');
    expect(dns.spec?.clusterIP).toBe(CLUSTER_DNS);
    const bound = cluster!.agent.dns!.bound[0];
    expect(bound.host).toBe(defaultNodeAddress());
    const nat = sh('iptables-save', ['-t', 'nat']);
    expect(nat).toContain(`-A ${dnsChainName(rt.bridge)} -d ${CLUSTER_DNS}/32 -p udp -m udp --dport 53`);
    expect(nat).toContain(`--to-destination ${bound.host}:${bound.udpPort}`);
  });

  test('nginx and a busybox pod: resolv.conf as the kubelet writes it', async () => {
    await api.client.create<Service>(Resources.services, 'default', {
      metadata: { name: 'nginx' },
      spec: { selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    await api.client.create<Service>(Resources.services, 'default', {
      metadata: { name: 'web' },
      spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80 }] },
    });
    const nginx = await createPod({
      metadata: { name: 'nginx-0', namespace: 'default', labels: { app: 'nginx' } },
      spec: {
        nodeName: 'dns-e2e-node',
        hostname: 'nginx-0',
        subdomain: 'web',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'nginx', image: IMAGES.nginx, readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 } }],
      },
    });
    nginxPodIP = nginx.status!.podIP!;
    nginxIP = (await api.client.get<Service>(Resources.services, 'default', 'nginx')).spec!.clusterIP!;
    await createPod(busybox('bb'));
    const conf = await inPod('bb', ['cat', '/etc/resolv.conf']);
    const lines = conf.out.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(lines).toEqual(expect.arrayContaining([`nameserver ${CLUSTER_DNS}`, 'search default.svc.cluster.local svc.cluster.local cluster.local corp.example', 'options ndots:5']));
    expect(lines.filter((l) => l.startsWith('nameserver'))).toEqual([`nameserver ${CLUSTER_DNS}`]);
  });

  // (busybox 1.35's wget -T crashes: the exec's own timeout bounds wget instead.)
  test('nslookup nginx and nginx.default.svc.cluster.local → the ClusterIP; wget of nginx, nginx.default and the full name', async () => {
    // busybox nslookup sends a name with a dot as it is (no search list): nginx.default only through wget.
    for (const name of ['nginx', 'nginx.default.svc.cluster.local', 'NGINX.Default.svc.cluster.local']) {
      const r = await waitFor(`nslookup ${name}`, async () => {
        const x = await inPod('bb', ['nslookup', name]);
        return addressesOf(x.out).includes(nginxIP) && x;
      }, 20_000);
      // The answer carries the name as asked (its case too).
      expect(r.out.toLowerCase()).toContain('name:\tnginx.default.svc.cluster.local');
    }
    for (const name of ['nginx', 'nginx.default', 'nginx.default.svc.cluster.local']) {
      const r = await waitFor(`wget http://${name}/`, async () => {
        const x = await inPod('bb', ['wget', '-q', '-O', '-', `http://${name}/`], 10);
        return x.code === 0 && x;
      }, 30_000);
      expect(r.out).toContain('hello from nginx');
    }
  });

  test("a headless Service's endpoints, a pod's hostname.subdomain, SRV and PTR", async () => {
    const web = await inPod('bb', ['nslookup', 'web']);
    expect(addressesOf(web.out)).toEqual([nginxPodIP]);
    const host = await inPod('bb', ['nslookup', 'nginx-0.web.default.svc.cluster.local']);
    expect(addressesOf(host.out)).toEqual([nginxPodIP]);
    const srv = await inPod('bb', ['nslookup', '-type=SRV', '_http._tcp.nginx.default.svc.cluster.local']);
    expect(srv.out).toContain('service = 0 100 80 nginx.default.svc.cluster.local');
    const ptr = await inPod('bb', ['nslookup', CLUSTER_DNS]);
    expect(ptr.out).toContain('name = kube-dns.kube-system.svc.cluster.local');
    const podPtr = await inPod('bb', ['nslookup', nginxPodIP]);
    expect(podPtr.out).toContain('name = nginx-0.web.default.svc.cluster.local');
  });

  test("a name outside the cluster through the host's (loopback) resolver; an ExternalName; NXDOMAIN at once", async () => {
    upstreamQueries = [];
    const out = await inPod('bb', ['nslookup', 'outside.example']);
    expect(addressesOf(out.out)).toEqual(['192.0.2.77']);
    expect(upstreamQueries).toContain('outside.example A');
    await api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'outside.example' } });
    const ext = await waitFor('nslookup ext', async () => {
      const x = await inPod('bb', ['nslookup', 'ext']);
      return addressesOf(x.out).includes('192.0.2.77') && x;
    }, 10_000);
    expect(ext.out).toContain('canonical name = outside.example');
    const t0 = Date.now();
    const nx = await inPod('bb', ['nslookup', 'does-not-exist.default.svc.cluster.local']);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(nx.code).not.toBe(0);
    expect(nx.out).toMatch(/NXDOMAIN/);
  });

  test('a Service created after the pod started resolves within a second; a deleted one is gone within a second', async () => {
    const t0 = Date.now();
    const late = await api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'late' }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80 }] } });
    await waitFor('nslookup late', async () => addressesOf((await inPod('bb', ['nslookup', 'late.default.svc.cluster.local'])).out).includes(late.spec!.clusterIP!), 10_000);
    const created = Date.now() - t0;
    const r = await waitFor('wget http://late/', async () => {
      const x = await inPod('bb', ['wget', '-q', '-O', '-', 'http://late/'], 10);
      return x.code === 0 && x;
    }, 30_000);
    expect(r.out).toContain('hello from nginx');
    const t1 = Date.now();
    await api.client.delete(Resources.services, 'default', 'late');
    await waitFor('late NXDOMAIN', async () => /NXDOMAIN/.test((await inPod('bb', ['nslookup', 'late.default.svc.cluster.local'])).out), 10_000);
    const deleted = Date.now() - t1;
    console.log(`new Service answered after ${created} ms, deleted one NXDOMAIN after ${deleted} ms (each including one busybox exec)`);
    expect(created).toBeLessThan(3000);
    expect(deleted).toBeLessThan(3000);
  });

  test('dnsPolicy Default (the host has only a loopback resolver: the cluster DNS stands in) and None with dnsConfig', async () => {
    await createPod(busybox('bb-default', { dnsPolicy: 'Default' }));
    const conf = (await inPod('bb-default', ['cat', '/etc/resolv.conf'])).out;
    expect(conf).toContain(`nameserver ${CLUSTER_DNS}`);
    expect(conf).not.toContain(UPSTREAM);
    expect(conf).toContain('search corp.example');
    expect(addressesOf((await inPod('bb-default', ['nslookup', 'outside.example'])).out)).toEqual(['192.0.2.77']);
    await createPod(busybox('bb-none', { dnsPolicy: 'None', dnsConfig: { nameservers: [CLUSTER_DNS], searches: ['svc.cluster.local'], options: [{ name: 'ndots', value: '2' }] } }));
    const none = (await inPod('bb-none', ['cat', '/etc/resolv.conf'])).out.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(none).toEqual(expect.arrayContaining([`nameserver ${CLUSTER_DNS}`, 'search svc.cluster.local', 'options ndots:2']));
    expect(addressesOf((await inPod('bb-none', ['nslookup', 'nginx.default.svc.cluster.local'])).out)).toEqual([nginxIP]);
  });

  test("glibc's TCP retry: 60 addresses from a network namespace on the host (TC over UDP, then TCP)", async () => {
    await api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'x', port: 9 }] } });
    const addresses = Array.from({ length: 60 }, (_, i) => ({ ip: `10.217.0.${i + 1}` }));
    await api.client.create<Endpoints>(Resources.endpoints, 'default', { metadata: { name: 'big' }, subsets: [{ addresses, ports: [{ name: 'x', port: 9 }] }] });
    // A namespace with a veth to the host (a namespace with only lo makes glibc skip the lookup).
    sh('ip', ['netns', 'add', clientNs]);
    sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', clientNs]);
    sh('ip', ['addr', 'add', '10.216.0.1/30', 'dev', vethHost]);
    sh('ip', ['link', 'set', vethHost, 'up']);
    sh('ip', ['netns', 'exec', clientNs, 'ip', 'addr', 'add', '10.216.0.2/30', 'dev', 'eth0']);
    sh('ip', ['netns', 'exec', clientNs, 'ip', 'link', 'set', 'eth0', 'up']);
    sh('ip', ['netns', 'exec', clientNs, 'ip', 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', clientNs, 'ip', 'route', 'add', 'default', 'via', '10.216.0.1']);
    // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
    fs.mkdirSync(`/etc/netns/${clientNs}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${clientNs}/resolv.conf`, `nameserver ${CLUSTER_DNS}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
    const tcpBefore = await metric(/^steer_dns_requests_total\{node="dns-e2e-node",proto="tcp"/);
    // Asynchronously: the DNS server answers from this very process.
    const out = await waitFor('getent ahostsv4 big', async () => {
      const r = await runCommand(['ip', 'netns', 'exec', clientNs], ['getent', 'ahostsv4', 'big']);
      return r.code === 0 && r.stdout;
    }, 20_000);
    const ips = new Set(out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]));
    expect(ips.size).toBe(60);
    expect(await metric(/^steer_dns_requests_total\{node="dns-e2e-node",proto="tcp"/)).toBeGreaterThan(tcpBefore);
    expect(await metric(/^steer_dns_responses_total\{node="dns-e2e-node",type="A",rcode="NOERROR"\}/)).toBeGreaterThan(0);
    sh('ip', ['netns', 'del', clientNs]);
    fs.rmSync(`/etc/netns/${clientNs}`, { recursive: true, force: true });
  });

  test('a NetworkPolicy on real containerd: nginx only for labelled clients (pod IP, ClusterIP, by name), refused at once; its probes and DNS still pass', async () => {
    const wget = (pod: string, url: string) => inPod(pod, ['wget', '-q', '-O', '-', url], 10);
    await createPod({ ...busybox('bb-allowed'), metadata: { name: 'bb-allowed', namespace: 'default', labels: { access: 'nginx' } } });
    await api.client.create<NetworkPolicy>(Resources.networkpolicies, 'default', {
      metadata: { name: 'nginx-clients' },
      spec: { podSelector: { matchLabels: { app: 'nginx' } }, ingress: [{ from: [{ podSelector: { matchLabels: { access: 'nginx' } } }], ports: [{ port: 80 }] }] },
    });
    const refused = await waitFor('bb refused by nginx', async () => {
      const x = await wget('bb', `http://${nginxPodIP}/`);
      return x.code !== 0 && x;
    }, 10_000);
    // REJECT: the client learns at once, it does not wait for a timeout.
    expect(refused.out).toMatch(/refused/i);
    expect((await wget('bb', `http://${nginxIP}/`)).code).not.toBe(0);
    for (const url of [`http://${nginxPodIP}/`, `http://${nginxIP}/`, 'http://nginx.default.svc.cluster.local/']) {
      expect((await wget('bb-allowed', url)).out).toContain('hello from nginx');
    }
    // The node's readiness probe (every second) is traffic from the node: never refused.
    await new Promise((r) => setTimeout(r, 3000));
    expect(isReady(await api.client.get<Pod>(Resources.pods, 'default', 'nginx-0'))).toBe(true);
    const ep = await api.client.get<Endpoints>(Resources.endpoints, 'default', 'nginx');
    expect(ep.subsets?.[0]?.addresses?.map((a) => a.ip)).toEqual([nginxPodIP]);
    await api.client.delete(Resources.networkpolicies, 'default', 'nginx-clients');
    await waitFor('bb let in again', async () => (await wget('bb', `http://${nginxPodIP}/`)).code === 0, 10_000);
  });

  test("the agent's /metrics has the DNS series", async () => {
    const r = await httpGet('127.0.0.1', cluster!.agent.port, '/metrics');
    expect(r.body).toMatch(/steer_dns_requests_total\{node="dns-e2e-node",proto="udp",type="A"\} \d+/);
    expect(r.body).toMatch(/steer_dns_cache_entries\{node="dns-e2e-node",cache="services"\} [1-9]/);
    expect(r.body).toMatch(/steer_dns_forward_requests_total\{node="dns-e2e-node",to="127\.53\.0\.1:53",outcome="answer"\} [1-9]/);
    expect(r.body).toMatch(/steer_dns_request_duration_seconds_count\{node="dns-e2e-node",source="cluster"\} [1-9]/);
  });

  test('stopping the agent removes the redirect chain and the network policy chains', async () => {
    await cluster!.stopAgent();
    expect(sh('iptables-save', ['-t', 'nat'])).not.toContain(dnsChainName(rt.bridge));
    expect(sh('iptables-save', ['-t', 'filter'])).not.toContain(`STEER-NP-${chainTag(rt.bridge)}-`);
  });
});
