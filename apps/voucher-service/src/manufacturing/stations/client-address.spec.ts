import { describe, expect, it } from 'vitest';
import { clientAddress, fromTrustedProxy, NetworkSet, normalizeAddress } from './client-address';

describe('client address for station allow-lists', () => {
  const proxies = new NetworkSet(['10.99.0.0/16', '2001:db8::1']);

  it('normalises IPv4-mapped IPv6 peers to IPv4', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(new NetworkSet(['127.0.0.0/8']).contains('::ffff:127.0.0.9')).toBe(true);
  });

  it('matches CIDRs and single addresses of both families, and nothing that is not an address', () => {
    const set = new NetworkSet(['192.0.2.0/24', '2001:db8:1::/48', '198.51.100.7']);
    expect(set.contains('192.0.2.200')).toBe(true);
    expect(set.contains('192.0.3.1')).toBe(false);
    expect(set.contains('2001:db8:1:ffff::1')).toBe(true);
    expect(set.contains('198.51.100.7')).toBe(true);
    expect(set.contains('198.51.100.8')).toBe(false);
    expect(set.contains('')).toBe(false);
    expect(set.contains('not-an-ip')).toBe(false);
  });

  it('uses the socket peer unless it is a trusted proxy', () => {
    expect(clientAddress('203.0.113.1', { 'x-forwarded-for': '127.0.0.1' }, proxies)).toBe('203.0.113.1');
    expect(clientAddress('203.0.113.1', {}, new NetworkSet([]))).toBe('203.0.113.1');
  });

  it('reads X-Forwarded-For from the right, skipping trusted proxies, from a trusted proxy only', () => {
    expect(
      clientAddress('10.99.0.1', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.99.3.3' }, proxies),
    ).toBe('203.0.113.9');
    expect(clientAddress('::ffff:10.99.0.1', { 'x-forwarded-for': '203.0.113.9' }, proxies)).toBe(
      '203.0.113.9',
    );
    expect(
      clientAddress('2001:db8::1', { 'x-forwarded-for': ['198.51.100.1', '203.0.113.2'] }, proxies),
    ).toBe('203.0.113.2');
    expect(clientAddress('10.99.0.1', { 'x-forwarded-for': '10.99.1.1' }, proxies)).toBe('10.99.1.1');
    expect(clientAddress('10.99.0.1', { 'x-forwarded-for': 'garbage' }, proxies)).toBe('10.99.0.1');
    expect(clientAddress('10.99.0.1', {}, proxies)).toBe('10.99.0.1');
  });

  it('says whether the peer is a trusted proxy', () => {
    expect(fromTrustedProxy('10.99.200.1', proxies)).toBe(true);
    expect(fromTrustedProxy('10.98.0.1', proxies)).toBe(false);
    expect(fromTrustedProxy('10.99.0.1', new NetworkSet([]))).toBe(false);
  });
});
