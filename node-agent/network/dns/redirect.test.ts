// The DNAT rules that send the cluster DNS address to this node's server: their chain name, the
// restore input (UDP and TCP per IPv4 cluster DNS address; IPv6 left out) and the two jumps to it.
import { chainTag } from '../proxy-rules';
import { dnsChainName, redirectHooks, redirectRestoreInput } from './redirect';

describe('cluster DNS redirect rules', () => {
  test('one chain per instance, apart from the service proxy prefix STEER-<tag>-', () => {
    expect(dnsChainName('steer0')).toBe(`STEER-DNS-${chainTag('steer0')}`);
    expect(dnsChainName('steer0').startsWith(`STEER-${chainTag('steer0')}-`)).toBe(false);
    expect(dnsChainName('steer0').length).toBeLessThanOrEqual(28);
  });

  test('the chain is declared (so flushed) and refilled: UDP and TCP of each IPv4 address', () => {
    expect(redirectRestoreInput('STEER-DNS-ABCD', ['10.96.0.10', 'fd00::10'], { host: '192.0.2.2', udpPort: 53, tcpPort: 5353 })).toBe(
      [
        '*nat',
        ':STEER-DNS-ABCD - [0:0]',
        '-A STEER-DNS-ABCD -d 10.96.0.10/32 -p udp -m udp --dport 53 -m comment --comment "cluster DNS to this node\'s server" -j DNAT --to-destination 192.0.2.2:53',
        '-A STEER-DNS-ABCD -d 10.96.0.10/32 -p tcp -m tcp --dport 53 -m comment --comment "cluster DNS to this node\'s server" -j DNAT --to-destination 192.0.2.2:5353',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  test('jumps from nat PREROUTING (pods) and OUTPUT (the host, hostNetwork pods)', () => {
    expect(redirectHooks('STEER-DNS-ABCD')).toEqual([
      { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'steer cluster DNS', '-j', 'STEER-DNS-ABCD'] },
      { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'steer cluster DNS', '-j', 'STEER-DNS-ABCD'] },
    ]);
  });
});
