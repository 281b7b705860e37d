import { describe, expect, it } from 'vitest';
import { addressBytes, nonPublicAddressKind, WebhookTargetPolicy } from './webhook-target-policy';

const closed = new WebhookTargetPolicy({ allowPrivate: false, allowedCidrs: [] });

describe('addressBytes', () => {
  it('reads IPv4, compressed IPv6, bracketed IPv6 with a zone and dotted tails', () => {
    expect([...addressBytes('192.168.1.2')!]).toEqual([192, 168, 1, 2]);
    expect(Buffer.from(addressBytes('2001:db8::1')!).toString('hex')).toBe(
      '20010db8000000000000000000000001',
    );
    expect(Buffer.from(addressBytes('::')!).toString('hex')).toBe('0'.repeat(32));
    expect(Buffer.from(addressBytes('[fe80::1%eth0]')!).toString('hex')).toBe(
      'fe800000000000000000000000000001',
    );
    expect(Buffer.from(addressBytes('::ffff:10.1.2.3')!).toString('hex')).toBe(
      '00000000000000000000ffff0a010203',
    );
    expect(Buffer.from(addressBytes('1:2:3:4:5:6:7:8')!).toString('hex')).toBe(
      '00010002000300040005000600070008',
    );
    expect(addressBytes('example.com')).toBeUndefined();
    expect(addressBytes('256.1.1.1')).toBeUndefined();
  });
});

describe('nonPublicAddressKind', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF protocol'],
    ['192.0.2.10', 'documentation'],
    ['192.168.0.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['168.63.129.16', 'cloud platform'],
  ])('IPv4 %s is %s', (address, kind) => {
    expect(nonPublicAddressKind(address)).toContain(kind);
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '168.63.129.17',
  ])('IPv4 %s is public', (address) => {
    expect(nonPublicAddressKind(address)).toBeUndefined();
  });

  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'unique local'],
    ['fdff:ffff::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'IETF protocol'],
    ['3fff::1', 'documentation'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['100::1', 'not global unicast'],
    ['::127.0.0.1', 'not global unicast'],
    ['4000::1', 'not global unicast'],
  ])('IPv6 %s is %s', (address, kind) => {
    expect(nonPublicAddressKind(address)).toContain(kind);
  });

  it('judges IPv4 carried in IPv6 (mapped, NAT64, 6to4) by the IPv4 address', () => {
    expect(nonPublicAddressKind('::ffff:127.0.0.1')).toBe('a loopback address (IPv4-mapped)');
    expect(nonPublicAddressKind('::ffff:7f00:1')).toBe('a loopback address (IPv4-mapped)');
    expect(nonPublicAddressKind('::FFFF:A9FE:A9FE')).toContain('link-local');
    expect(nonPublicAddressKind('::ffff:0.0.0.0')).toContain('unspecified');
    expect(nonPublicAddressKind('64:ff9b::10.0.0.1')).toBe('a private address (NAT64)');
    expect(nonPublicAddressKind('2002:c0a8:0101::1')).toBe('a private address (6to4)');
    expect(nonPublicAddressKind('::ffff:8.8.8.8')).toBeUndefined();
    expect(nonPublicAddressKind('64:ff9b::808:808')).toBeUndefined();
    expect(nonPublicAddressKind('2002:808:808::1')).toBeUndefined();
  });

  it('takes global unicast IPv6 as public', () => {
    expect(nonPublicAddressKind('2606:4700:4700::1111')).toBeUndefined();
    expect(nonPublicAddressKind('2a00:1450:4001:82b::200e')).toBeUndefined();
    expect(nonPublicAddressKind('2001:200::1')).toBeUndefined();
  });

  it('refuses what is not an address at all', () => {
    expect(nonPublicAddressKind('hooks.example.com')).toBe('not an IP address');
    expect(nonPublicAddressKind('')).toBe('not an IP address');
  });
});

describe('WebhookTargetPolicy', () => {
  it('closed: refuses every non-public address, allows public ones', () => {
    expect(closed.addressRefusal('10.1.2.3')).toBe('a private address');
    expect(closed.addressRefusal('::ffff:192.168.0.1')).toBe('a private address (IPv4-mapped)');
    expect(closed.addressRefusal('93.184.215.14')).toBeUndefined();
  });

  it('allowPrivate lets any address through', () => {
    const open = new WebhookTargetPolicy({ allowPrivate: true, allowedCidrs: [] });
    for (const address of ['127.0.0.1', '::1', '169.254.169.254', 'fd00::1', '10.0.0.1'])
      expect(open.addressRefusal(address)).toBeUndefined();
  });

  it('allowed CIDRs open just those networks, in IPv4, IPv6 and IPv4-mapped forms', () => {
    const policy = new WebhookTargetPolicy({
      allowPrivate: false,
      allowedCidrs: ['10.20.0.0/16', 'fd00:20::/64', '127.0.0.1'],
    });
    expect(policy.addressRefusal('10.20.255.1')).toBeUndefined();
    expect(policy.addressRefusal('::ffff:10.20.0.9')).toBeUndefined();
    expect(policy.addressRefusal('10.21.0.1')).toBe('a private address');
    expect(policy.addressRefusal('fd00:20::5')).toBeUndefined();
    expect(policy.addressRefusal('fd00:21::5')).toContain('unique local');
    expect(policy.addressRefusal('127.0.0.1')).toBeUndefined();
    expect(policy.addressRefusal('127.0.0.2')).toBe('a loopback address');
    expect(policy.addressRefusal('169.254.169.254')).toContain('link-local');
  });

  it('registration: http(s) only, no credentials, no IP literal of a refused address; names pass', () => {
    expect(closed.urlRefusal('https://hooks.example.com/ztp')).toBeUndefined();
    expect(closed.urlRefusal('http://internal.corp:8080/x')).toBeUndefined();
    expect(closed.urlRefusal('https://93.184.215.14/hook')).toBeUndefined();
    expect(closed.urlRefusal('https://[2606:4700::1]/hook')).toBeUndefined();
    expect(closed.urlRefusal('ftp://hooks.example.com/')).toBe('must be an http or https URL');
    expect(closed.urlRefusal('not a url')).toBe('is not a URL');
    expect(closed.urlRefusal('https://user:pw@hooks.example.com/')).toBe('must not contain credentials');
    expect(closed.urlRefusal('https://token@hooks.example.com/')).toBe('must not contain credentials');
    expect(closed.urlRefusal('http://169.254.169.254/latest/meta-data/')).toBe(
      'must not point at a link-local address (cloud metadata lives there)',
    );
    expect(closed.urlRefusal('http://[::1]:8080/')).toBe('must not point at a loopback address');
    expect(closed.urlRefusal('http://[::ffff:127.0.0.1]/')).toBe(
      'must not point at a loopback address (IPv4-mapped)',
    );
    expect(closed.urlRefusal('http://[fe80::1]/')).toBe('must not point at a link-local address');
    expect(closed.urlRefusal('http://localhost:3000/')).toBe('must not point at a loopback address');
    expect(closed.urlRefusal('http://api.LOCALHOST./')).toBe('must not point at a loopback address');
  });

  it('registration: the URL parser normalises the shorthand IPv4 forms before they are judged', () => {
    expect(closed.urlRefusal('http://2130706433/')).toBe('must not point at a loopback address');
    expect(closed.urlRefusal('http://0x7f.1/')).toBe('must not point at a loopback address');
    expect(closed.urlRefusal('http://127.1/')).toBe('must not point at a loopback address');
    expect(closed.urlRefusal('http://0/')).toBe('must not point at an unspecified ("this network") address');
    expect(closed.urlRefusal('http://012.0.0.1/')).toBe('must not point at a private address');
  });

  it('registration with private targets allowed: localhost and loopback literals pass', () => {
    const open = new WebhookTargetPolicy({ allowPrivate: true, allowedCidrs: [] });
    expect(open.urlRefusal('http://localhost:3000/hook')).toBeUndefined();
    expect(open.urlRefusal('http://127.0.0.1:3000/hook')).toBeUndefined();
    expect(open.urlRefusal('http://u:p@127.0.0.1/')).toBe('must not contain credentials');
  });
});
