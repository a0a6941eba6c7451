import { canonicalIPv4Cidr, cidrContains, cidrsOverlap, ipv4ToNumber, isIPv4, numberToIpv4, parseIpv4Cidr } from './ip';

describe('IPv4 numbers', () => {
  it('round-trips', () => {
    expect(ipv4ToNumber('10.96.0.1')).toBe(0x0a600001);
    expect(numberToIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(numberToIpv4(ipv4ToNumber('192.168.1.20')!)).toBe('192.168.1.20');
  });
  it.each(['1.2.3', '1.2.3.4.5', '256.1.1.1', 'a.b.c.d', '1.2.3.-4', '', '::1'])('%j is not IPv4', (ip) => {
    expect(isIPv4(ip)).toBe(false);
  });
});

describe('CIDRs', () => {
  it('parses the network, its length and size', () => {
    expect(parseIpv4Cidr('10.96.0.0/12')).toEqual({ base: 0x0a600000, prefixLength: 12, size: 2 ** 20 });
    expect(parseIpv4Cidr('10.88.1.7')).toEqual({ base: ipv4ToNumber('10.88.1.7'), prefixLength: 32, size: 1 });
    expect(parseIpv4Cidr('10.0.0.0/33')).toBeUndefined();
    expect(parseIpv4Cidr('10.0.0.0/8/1')).toBeUndefined();
  });
  it('canonical form clears host bits', () => {
    expect(canonicalIPv4Cidr('10.88.1.7/24')).toBe('10.88.1.0/24');
    expect(canonicalIPv4Cidr('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(canonicalIPv4Cidr('nonsense')).toBeUndefined();
  });
  it('overlap and containment', () => {
    expect(cidrsOverlap('10.88.0.0/16', '10.88.2.0/24')).toBe(true);
    expect(cidrsOverlap('10.88.1.0/24', '10.88.2.0/24')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '192.168.0.0/24')).toBe(true);
    expect(cidrsOverlap('bad', '10.0.0.0/8')).toBe(false);
    expect(cidrContains('10.96.0.0/12', '10.111.255.255')).toBe(true);
    expect(cidrContains('10.96.0.0/12', '10.112.0.0')).toBe(false);
  });
});
