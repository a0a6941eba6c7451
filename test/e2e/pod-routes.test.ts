// The pod route loop (node-agent/network/pod-routes.ts) for real: `ip route` in a network namespace created
// here (a veth with 192.0.2.1/24 stands in for the node network), fed by Nodes in an in-process
// apiserver. Nodes added, moved, re-addressed and deleted → routes follow; a route removed behind the
// loop's back is repaired; a route of someone else's is never touched; the nat exception that keeps pods'
// addresses towards other nodes' pods follows the routes. Needs root.
import { execFileSync } from 'node:child_process';
import type { Node } from 'kubernetes-types/core/v1';
import { isNotFound, KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { Iptables } from '../../node-agent/network/iptables';
import { parseIpRouteJson, PodRouteSync } from '../../node-agent/network/pod-routes';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(10_000);
const NS = `steer-routes-${process.pid}`;
const PROTO = 198;

/** A nat chain's rules in the namespace, as `iptables -S` prints them. */
function natRules(chain: string): string[] {
  return execFileSync('ip', ['netns', 'exec', NS, 'iptables', '-w', '5', '-t', 'nat', '-S', chain], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A '));
}

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });
}

/** "dst via gw" of every route in the namespace with the given protocol. */
function routes(proto: number | string = PROTO): string[] {
  return parseIpRouteJson(ip('-j', '-4', 'route', 'show', 'proto', String(proto)))
    .map((r) => `${r.dst} via ${r.via}`)
    .sort();
}

async function putNode(client: KubeClient, name: string, podCIDR: string, address: string): Promise<void> {
  const body: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR, podCIDRs: [podCIDR] } };
  let cur: Node;
  try {
    cur = await client.create<Node>(Resources.nodes, undefined, body);
  } catch {
    cur = await client.patch<Node>(Resources.nodes, undefined, name, { spec: body.spec }, 'merge');
  }
  await client.update<Node>(Resources.nodes, { ...cur, status: { addresses: [{ type: 'InternalIP', address }] } }, 'status');
}

let api: TestApiServer;
let sync: PodRouteSync | undefined;
const logs: string[] = [];

beforeAll(async () => {
  // A namespace left by an interrupted run of this same PID is impossible; other runs' use other names.
  execFileSync('ip', ['netns', 'add', NS]);
  // A veth pair (the dummy link type may not be available): one end is this node's network interface.
  ip('link', 'add', 'nodenet', 'type', 'veth', 'peer', 'name', 'nodepeer');
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'nodenet');
  ip('link', 'set', 'nodepeer', 'up');
  ip('link', 'set', 'nodenet', 'up');
  api = await startTestApiServer();
});

afterAll(async () => {
  await sync?.stop();
  await api?.stop();
  execFileSync('ip', ['netns', 'del', NS]);
});

test('routes follow the Node list; foreign routes are left alone', async () => {
  const { client } = api;
  await putNode(client, 'node-1', '10.88.1.0/24', '192.0.2.1');
  await putNode(client, 'node-2', '10.88.2.0/24', '192.0.2.2');
  // Someone else's route (another protocol) into a CIDR no node claims: must survive every sync.
  ip('route', 'add', '10.77.0.0/24', 'via', '192.0.2.9', 'proto', 'static');

  sync = new PodRouteSync({
    client,
    nodeName: 'node-1',
    resyncIntervalMs: 300,
    retryMs: 100,
    ip: (args) => Promise.resolve(ip(...args)),
    iptables: new Iptables(['ip', 'netns', 'exec', NS]),
    log: (m) => logs.push(m),
  });
  await sync.start();
  // The first sync ran inside start(): the route is there at once…
  expect(routes()).toEqual(['10.88.2.0/24 via 192.0.2.2']);
  // …and node-1's pods keep their address towards node-2's pods: first in POSTROUTING, before any masquerade.
  expect(natRules('POSTROUTING')[0]).toMatch(/-j STEER-POD-ROUTES$/);
  expect(natRules('STEER-POD-ROUTES')).toEqual(['-A STEER-POD-ROUTES -s 10.88.1.0/24 -d 10.88.2.0/24 -m comment --comment "to the pods of node-2" -j ACCEPT']);

  await putNode(client, 'node-3', '10.88.3.0/24', '192.0.2.3');
  await waitFor('a route to the new node-3', () => routes().includes('10.88.3.0/24 via 192.0.2.3'));

  // node-2 moves to another address: its route is replaced, not duplicated.
  await putNode(client, 'node-2', '10.88.2.0/24', '192.0.2.22');
  await waitFor('node-2 re-addressed', () => routes().join() === '10.88.2.0/24 via 192.0.2.22,10.88.3.0/24 via 192.0.2.3');

  // node-3 gets another pod CIDR: the old route goes, the new one comes.
  await putNode(client, 'node-3', '10.88.30.0/24', '192.0.2.3');
  await waitFor('node-3 moved to 10.88.30.0/24', () => routes().join() === '10.88.2.0/24 via 192.0.2.22,10.88.30.0/24 via 192.0.2.3');

  // node-2 deleted: its route is removed.
  await client.delete(Resources.nodes, undefined, 'node-2');
  await waitFor('node-2 gone', async () => {
    try {
      await client.get(Resources.nodes, undefined, 'node-2');
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  });
  await waitFor('node-2 route removed', () => routes().join() === '10.88.30.0/24 via 192.0.2.3');

  // A route deleted behind the loop's back is put back by the periodic resync.
  ip('route', 'del', '10.88.30.0/24', 'via', '192.0.2.3', 'proto', String(PROTO));
  expect(routes()).toEqual([]);
  await waitFor('route repaired', () => routes().join() === '10.88.30.0/24 via 192.0.2.3');
  expect(natRules('STEER-POD-ROUTES')).toEqual(['-A STEER-POD-ROUTES -s 10.88.1.0/24 -d 10.88.30.0/24 -m comment --comment "to the pods of node-3" -j ACCEPT']);
  // A masquerade rule inserted before the jump (the runtime setup run again): the jump goes first again.
  execFileSync('ip', ['netns', 'exec', NS, 'iptables', '-w', '5', '-t', 'nat', '-I', 'POSTROUTING', '1', '-s', '10.88.1.0/24', '-j', 'MASQUERADE']);
  await waitFor('the jump first again', () => /-j STEER-POD-ROUTES$/.test(natRules('POSTROUTING')[0] ?? ''));

  // A gateway that is not on any connected network fails (the kernel refuses it) and is retried, and
  // the other routes are still kept; once the node's address is reachable, the route is added.
  await putNode(client, 'node-4', '10.88.4.0/24', '198.51.100.4');
  await waitFor('the unreachable gateway reported', () => sync!.lastError?.includes('198.51.100.4'));
  expect(routes()).toEqual(['10.88.30.0/24 via 192.0.2.3']);
  ip('addr', 'add', '198.51.100.1/24', 'dev', 'nodenet');
  await waitFor('node-4 route after its network came up', () => routes().includes('10.88.4.0/24 via 198.51.100.4'));

  expect(routes('static')).toEqual(['10.77.0.0/24 via 192.0.2.9']);
  expect(logs.some((l) => l.startsWith('added 10.88.2.0/24 via 192.0.2.2 (node node-2)'))).toBe(true);

  // Stopping keeps the routes (pods on other nodes stay reachable while the agent restarts);
  // removeAll takes every route of ours away, and only ours.
  await sync.stop();
  expect(routes().length).toBe(2);
  expect(natRules('STEER-POD-ROUTES')).toHaveLength(2);
  await sync.removeAll();
  expect(routes()).toEqual([]);
  expect(execFileSync('ip', ['netns', 'exec', NS, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' })).not.toContain('STEER-POD-ROUTES');
  expect(routes('static')).toEqual(['10.77.0.0/24 via 192.0.2.9']);
});
