import { describe, expect, it } from 'vitest';
import { decodeRendezvousInfo, encodeRendezvousInfo, resolveRendezvousInfo, RvVariable } from '@ztp/protocol';
import { ManufacturingError } from '../manufacturing-error';
import {
  checkRendezvousDirectives,
  effectiveRendezvousDirectives,
  rendezvousInfoFor,
} from './rendezvous-directives';

describe('manufacturer rendezvous directives', () => {
  it('accepts well-formed directives and returns clean copies', () => {
    expect(
      checkRendezvousDirectives([
        { dns: 'rv.example.com', port: 443, protocol: 'https', delaySec: 30 },
        { ip: '192.0.2.1', port: 8040, protocol: 'http', bypass: false },
      ]),
    ).toEqual([
      { dns: 'rv.example.com', port: 443, protocol: 'https', delaySec: 30 },
      { ip: '192.0.2.1', port: 8040, protocol: 'http' },
    ]);
  });

  it.each([
    ['not a list', {}],
    ['empty', []],
    ['unknown field', [{ dns: 'a', port: 1, protocol: 'http', wifi: 'x' }]],
    ['no host', [{ port: 80, protocol: 'http' }]],
    ['bad port', [{ dns: 'a', port: 70000, protocol: 'http' }]],
    ['bad protocol', [{ dns: 'a', port: 80, protocol: 'coap' }]],
    ['bad ip', [{ ip: '999.1.1.1', port: 80, protocol: 'http' }]],
    ['bad dns', [{ dns: 'a b', port: 80, protocol: 'http' }]],
  ])('refuses %s', (_name, input) => {
    expect(() => checkRendezvousDirectives(input)).toThrow(ManufacturingError);
  });

  it("falls back to this deployment's rendezvous server", () => {
    expect(effectiveRendezvousDirectives({}, 'http://127.0.0.1:8040')).toEqual({
      directives: [{ ip: '127.0.0.1', port: 8040, protocol: 'http' }],
      source: 'default',
    });
    expect(effectiveRendezvousDirectives({ rendezvous: [] }, 'https://rv.example.com').directives).toEqual([
      { dns: 'rv.example.com', port: 443, protocol: 'https' },
    ]);
    const own = [{ dns: 'rv.acme.test', port: 80, protocol: 'http' as const }];
    expect(effectiveRendezvousDirectives({ rendezvous: own }, 'http://x:1')).toEqual({
      directives: own,
      source: 'tenant',
    });
  });

  it('writes RVProtocol always and IPv4 as 16-byte IPv4-mapped, as go-fdo does', () => {
    const info = decodeRendezvousInfo(
      encodeRendezvousInfo(rendezvousInfoFor([{ ip: '127.0.0.1', port: 8040, protocol: 'http' }])),
    );
    const value = (variable: number) => info[0]!.find((i) => i.variable === variable)?.value;
    expect(value(RvVariable.Protocol)).toEqual(Uint8Array.of(0x01));
    // bstr(16) 00..00 ffff 7f000001, as in go-fdo's captured DI.SetCredentials
    expect(Buffer.from(value(RvVariable.IPAddress)!).toString('hex')).toBe(
      '5000000000000000000000ffff7f000001',
    );
    expect(resolveRendezvousInfo(info, 'device')[0]!.urls).toEqual(['http://127.0.0.1:8040']);
  });
});
