import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asArray, asBytes, asMap, asTagged, decode, encode, Tagged, type CborValue } from '../../cbor';
import { decodeEncrypt0, encrypt0Alg, encrypt0Iv } from '../../cose/encrypt0';
import { KexSuite } from '../constants';
import { decodeEcdhParameter, ECDH384_CURVE } from '../kex/ecdh';
import { completeOwner, deviceRespond, isKexSuite } from '../kex/kex';
import { captureBytes, fixturePath, fixtureText } from '../voucher/fixtures.testing';
import { isTunnelCipherSuite, tunnelCipher } from './cipher-suites';
import { TunnelSession } from './session';

/**
 * What the go-fdo captures (example client and server, ECDH384 + A128GCM) prove without their
 * keys: the shape of every encrypted TO2 body, that the plaintext is the bare message CBOR (the
 * server log prints each one decrypted; ciphertext = plaintext + 16-byte GCM tag), and that
 * go-fdo's xA / xB use the ECDH384 layout we parse and produce.
 */

const FOLDERS = ['basic', 'fsim', 'to0'] as const;

/** Just enough CBOR diagnostic notation for the server log: ints, h'', "", bools, null, [], {}, tags. */
function parseDiagnostic(text: string): CborValue {
  let at = 0;
  const skip = () => {
    while (/[\s,:]/.test(text[at] ?? '')) at++;
  };
  const value = (): CborValue => {
    skip();
    const rest = text.slice(at);
    let match: RegExpMatchArray | null;
    if ((match = rest.match(/^h'([0-9a-f]*)'/))) {
      at += match[0].length;
      return new Uint8Array(Buffer.from(match[1]!, 'hex'));
    }
    if ((match = rest.match(/^"((?:[^"\\]|\\.)*)"/))) {
      at += match[0].length;
      return JSON.parse(`"${match[1]}"`) as string;
    }
    if ((match = rest.match(/^(\d+)\(/))) {
      at += match[0].length;
      const inner = value();
      skip();
      at++; // ')'
      return new Tagged(Number(match[1]), inner);
    }
    if ((match = rest.match(/^-?\d+/))) {
      at += match[0].length;
      return Number(match[0]);
    }
    for (const [word, literal] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (rest.startsWith(word)) {
        at += word.length;
        return literal;
      }
    }
    const open = text[at++];
    const close = open === '[' ? ']' : '}';
    const items: CborValue[] = [];
    for (skip(); text[at] !== close; skip()) items.push(value());
    at++;
    if (open === '[') return items;
    const map = new Map<CborValue, CborValue>();
    for (let i = 0; i < items.length; i += 2) map.set(items[i]!, items[i + 1]!);
    return map;
  };
  return value();
}

interface LoggedPlaintext {
  readonly direction: 'req' | 'resp';
  readonly msg: number;
  readonly body: CborValue;
}

/** The server's "decrypted request" / "unencrypted response" entries, in order. */
function loggedPlaintexts(folder: string): LoggedPlaintext[] {
  const lines = fixtureText(`fdo/go-fdo-captures/${folder}/server.log`).split('\n');
  const out: LoggedPlaintext[] = [];
  lines.forEach((line, i) => {
    const direction = line.includes('DEBUG: decrypted request')
      ? 'req'
      : line.includes('DEBUG: unencrypted response')
        ? 'resp'
        : undefined;
    if (!direction) return;
    const msg = Number(lines[i + 1]!.match(/msg: (\d+)/)![1]);
    const body = parseDiagnostic(lines[i + 2]!.replace(/^\s*body: /, ''));
    out.push({ direction, msg, body });
  });
  return out;
}

/** The encrypted bodies on the wire, in order: requests after 64 and responses from 65 on. */
function encryptedBodies(folder: string): { direction: 'req' | 'resp'; msg: number; bytes: Uint8Array }[] {
  return readdirSync(fixturePath(`fdo/go-fdo-captures/${folder}/`))
    .filter((name) => name.endsWith('.hex'))
    .sort()
    .map((name) => {
      const [, request, response] = name.match(/^\d+-msg(\d+)-(?:req|resp(\d+))\.hex$/)!;
      return response
        ? { direction: 'resp' as const, msg: Number(response), name }
        : { direction: 'req' as const, msg: Number(request), name };
    })
    .filter(({ direction, msg }) => (direction === 'req' ? msg > 64 && msg < 255 : msg >= 65 && msg < 255))
    .map(({ direction, msg, name }) => ({ direction, msg, bytes: captureBytes(`${folder}/${name}`) }));
}

describe.each(FOLDERS)('go-fdo capture %s', (folder) => {
  it('negotiates ECDH384 with A128GCM in TO2.HelloDevice', () => {
    const name = readdirSync(fixturePath(`fdo/go-fdo-captures/${folder}/`)).find((f) =>
      /-msg60-req\.hex$/.test(f),
    )!;
    const hello = asArray(decode(captureBytes(`${folder}/${name}`)), 'HelloDevice', 6);
    expect(isKexSuite(hello[3])).toBe(true);
    expect(hello[3]).toBe(KexSuite.ECDH384);
    expect(isTunnelCipherSuite(hello[4])).toBe(true);
    expect(tunnelCipher(hello[4] as number).name).toBe('A128GCM');
  });

  it("carries every TO2 body after ProveDevice as 16([h'A10101', {5: 12-byte IV}, plaintext + 16])", () => {
    const logged = loggedPlaintexts(folder);
    const wire = encryptedBodies(folder);
    expect(wire.length).toBeGreaterThanOrEqual(7);
    expect(wire.map(({ direction, msg }) => `${direction}${msg}`)).toEqual(
      logged.map(({ direction, msg }) => `${direction}${msg}`),
    );
    const ivs = new Set<string>();
    wire.forEach(({ bytes }, i) => {
      const encrypt0 = decodeEncrypt0(decode(bytes));
      expect(Buffer.from(encrypt0.protectedBytes).toString('hex')).toBe('a10101');
      expect(encrypt0Alg(encrypt0)).toBe(1);
      expect([...encrypt0.unprotectedHeader.keys()]).toEqual([5]);
      ivs.add(Buffer.from(encrypt0Iv(encrypt0, 12)).toString('hex'));
      expect(encrypt0.ciphertext.length).toBe(encode(logged[i]!.body).length + 16);
    });
    expect(ivs.size).toBe(wire.length); // a fresh IV per message
  });

  it('gets the same body length and header bytes from our tunnel as go-fdo put on the wire', () => {
    const logged = loggedPlaintexts(folder);
    const wire = encryptedBodies(folder);
    const ours = TunnelSession.establish(1, { shSe: new Uint8Array(144), contextRand: new Uint8Array(0) });
    wire.forEach(({ bytes }, i) => {
      const sealed = ours.encrypt(encode(logged[i]!.body));
      expect(sealed.length).toBe(bytes.length);
      expect(Buffer.from(sealed.subarray(0, 9)).toString('hex')).toBe(
        Buffer.from(bytes.subarray(0, 9)).toString('hex'),
      );
    });
  });

  it("parses go-fdo's xA (ProveOVHdr) and xB (ProveDevice EAT) as ECDH384 parameters on the curve", () => {
    const names = readdirSync(fixturePath(`fdo/go-fdo-captures/${folder}/`));
    const proveOvHdr = asArray(
      asTagged(
        decode(captureBytes(`${folder}/${names.find((f) => /-msg60-resp61\.hex$/.test(f))!}`)),
        18,
        'ProveOVHdr',
      ),
      'COSE_Sign1',
      4,
    );
    const xA = asBytes(
      asArray(decode(asBytes(proveOvHdr[2]!, 'payload')), 'TO2ProveOVHdrPayload', 8)[5]!,
      'xA',
    );
    const proveDevice = asArray(
      asTagged(
        decode(captureBytes(`${folder}/${names.find((f) => /-msg64-req\.hex$/.test(f))!}`)),
        18,
        'ProveDevice',
      ),
      'COSE_Sign1',
      4,
    );
    const eat = asMap(decode(asBytes(proveDevice[2]!, 'EAT payload')), 'EAT');
    // EAT-FDO claim -257 is TO2ProveDevicePayload = [xBKeyExchange].
    const xB = asBytes(asArray(eat.get(-257)!, 'TO2ProveDevicePayload', 1)[0]!, 'xB');
    for (const parameter of [xA, xB]) {
      const { x, y, random } = decodeEcdhParameter(parameter, ECDH384_CURVE);
      expect([parameter.length, x.length, y.length, random.length]).toEqual([150, 48, 48, 48]);
    }
    // Our device side accepts go-fdo's owner point, and an owner scalar of ours go-fdo's device point
    // (computeSecret refuses points off the curve).
    const device = deviceRespond(KexSuite.ECDH384, xA);
    expect(device.secret.shSe.length).toBe(48 + 48 + 48);
    const state = { suite: KexSuite.ECDH384, xA: device.xB, secret: new Uint8Array(48).fill(1) };
    expect(completeOwner(state, xB).shSe.length).toBe(144);
  });
});
