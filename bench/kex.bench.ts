import { encode } from '../libs/protocol/src/cbor';
import { CipherSuite, KexSuite } from '../libs/protocol/src/fdo/constants';
import { beginOwner, completeOwner, deviceRespond } from '../libs/protocol/src/fdo/kex';
import { deriveTunnelKeys, TunnelSession } from '../libs/protocol/src/fdo/tunnel';
import { type BenchCase } from './types';

/**
 * One full TO2 key exchange, both sides, as the owner service and a device run it: owner begin
 * (xA), device respond (xB + secret), owner complete, and the KDF on each side.
 */
function fullExchange(suite: KexSuite, cipher: CipherSuite): void {
  const { xA, state } = beginOwner(suite);
  const device = deviceRespond(suite, xA);
  const owner = completeOwner(state, device.xB);
  deriveTunnelKeys(cipher, owner);
  deriveTunnelKeys(cipher, device.secret);
}

const serviceInfo = encode([false, [['devmod:modules', new Uint8Array(1000).fill(0x61)]]]);

export const benchmarks: BenchCase<TunnelSession | undefined>[] = [
  { name: 'kex.ecdh256', op: () => fullExchange(KexSuite.ECDH256, CipherSuite.A128GCM) },
  { name: 'kex.ecdh384', op: () => fullExchange(KexSuite.ECDH384, CipherSuite.A256GCM) },
  { name: 'kex.dhkexid14', op: () => fullExchange(KexSuite.DHKEXid14, CipherSuite.A128GCM) },
  {
    // Encrypt and decrypt one ~1 KB ServiceInfo message: the per-message cost inside TO2.
    name: 'tunnel.a128gcm.roundtrip',
    setup: () =>
      TunnelSession.establish(CipherSuite.A128GCM, {
        shSe: new Uint8Array(144),
        contextRand: new Uint8Array(0),
      }),
    op: (tunnel) => tunnel!.decrypt(tunnel!.encrypt(serviceInfo)),
  },
];
