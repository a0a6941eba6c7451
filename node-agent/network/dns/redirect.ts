// How pods reach the cluster DNS: the cluster DNS address (kube-dns' ClusterIP, 10.96.0.10) port 53,
// UDP and TCP, is DNATed in the node's nat table to this node's own DNS server, from pods (PREROUTING)
// and from the host itself (OUTPUT: hostNetwork pods with ClusterFirstWithHostNet). Every node answers
// its own pods, so no query crosses the network and no UDP conntrack entry ever points at another
// node's server (the stale-entry problem kube-proxy must clean up when DNS endpoints change). kube-dns
// has no Endpoints, so the service proxy writes no nat rule for it; its filter REJECT for a port
// without endpoints never sees these packets, which are DNATed before the filter table.
// The rules live in one chain of their own, STEER-DNS-<tag> (the tag as the service proxy's, from the
// instance name), refilled with one `iptables-restore --noflush`, plus the two jumps to it.
import { chainTag, HookRule } from '../proxy-rules';
import { Iptables } from '../iptables';

export interface RedirectTarget {
  host: string;
  udpPort: number;
  tcpPort: number;
}

/** The chain of one instance: STEER-DNS-<tag>, apart from the service proxy's STEER-<tag>-* chains. */
export function dnsChainName(instance: string): string {
  return `STEER-DNS-${chainTag(instance)}`;
}

export function redirectHooks(chain: string): HookRule[] {
  const args = ['-m', 'comment', '--comment', 'steer cluster DNS', '-j', chain];
  return [
    { table: 'nat', chain: 'PREROUTING', args },
    { table: 'nat', chain: 'OUTPUT', args },
  ];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The iptables-restore input that (re)fills the chain: one DNAT per cluster DNS IPv4 address and protocol. */
export function redirectRestoreInput(chain: string, clusterIPs: string[], target: RedirectTarget): string {
  const lines = ['*nat', `:${chain} - [0:0]`];
  for (const ip of clusterIPs.filter((x) => IPV4.test(x))) {
    for (const [proto, port] of [['udp', target.udpPort], ['tcp', target.tcpPort]] as const) {
      lines.push(`-A ${chain} -d ${ip}/32 -p ${proto} -m ${proto} --dport 53 -m comment --comment "cluster DNS to this node's server" -j DNAT --to-destination ${target.host}:${port}`);
    }
  }
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** Removes the jumps and the chain of an instance (on stop, and in `steer down` after a crash). */
export async function removeDnsRedirect(instance: string, commandPrefix: string[] = []): Promise<void> {
  const ipt = new Iptables(commandPrefix);
  const chain = dnsChainName(instance);
  for (const h of redirectHooks(chain)) await ipt.remove(h);
  if (!(await ipt.save('nat')).split('\n').some((l) => l.startsWith(`:${chain} `))) return;
  await ipt.restore(`*nat\n:${chain} - [0:0]\n-X ${chain}\nCOMMIT\n`);
}

/** The rules of one running server: applied at start, re-checked periodically, removed at stop. */
export class DnsRedirect {
  readonly chain: string;
  private readonly ipt: Iptables;

  constructor(
    private readonly instance: string,
    private readonly commandPrefix: string[] = [],
  ) {
    this.chain = dnsChainName(instance);
    this.ipt = new Iptables(commandPrefix);
  }

  async apply(clusterIPs: string[], target: RedirectTarget): Promise<void> {
    await this.ipt.restore(redirectRestoreInput(this.chain, clusterIPs, target));
    for (const h of redirectHooks(this.chain)) await this.ipt.ensure(h);
  }

  /** Is the jump from PREROUTING there? (A flushed or reloaded nat table loses both jumps.) */
  intact(): Promise<boolean> {
    return this.ipt.has(redirectHooks(this.chain)[0]);
  }

  remove(): Promise<void> {
    return removeDnsRedirect(this.instance, this.commandPrefix);
  }
}
