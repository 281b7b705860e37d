import { createPublicKey, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, FdoProtocolError, type Clock } from '@ztp/platform';
import {
  asArray,
  CborError,
  CryptoError,
  decode,
  decodeSignedEat,
  decodeTo1HelloRv,
  encodeTo1HelloRvAck,
  ErrorCode,
  GUID_LENGTH,
  guidToHex,
  isSigAlg,
  MessageType,
  sigAlgName,
  sign1Algorithm,
  verifyEat,
  type To1HelloRv,
} from '@ztp/protocol';
import { RateLimits } from '../rate-limit/rate-limits';
import { RegistrationLookupCache, type To1Lookup } from '../registrations/registration-cache';
import { RegistrationRepository } from '../registrations/registration.repository';
import { ProtocolTokens } from '../tokens/protocol-token';

export interface To1Reply {
  body: Uint8Array;
  token?: string;
}

/**
 * TO1, the device asking where its owner is (FDO 1.1 section 5.4; go-fdo to1.go). Error codes:
 * 1 token, 5 malformed GUID, 6 no registration in force (what go-fdo answers), 100 structure,
 * 101 EAT signature, nonce, UEID or algorithm.
 */
@Injectable()
export class To1Service {
  constructor(
    private readonly tokens: ProtocolTokens,
    private readonly registrations: RegistrationRepository,
    private readonly lookups: RegistrationLookupCache,
    private readonly rateLimits: RateLimits,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** TO1.HelloRV (30) -> TO1.HelloRVAck (31): NonceTO1Proof, and eASigInfo echoed as eBSigInfo. */
  async helloRv(body: Uint8Array): Promise<To1Reply> {
    const hello = readHelloRv(body);
    if (!isSigAlg(hello.sigInfoA.sgType))
      throw FdoProtocolError.invalid(`eASigInfo: signature type ${hello.sigInfoA.sgType} is not supported`);
    const guid = guidToHex(hello.guid);
    await this.rateLimits.checkGuid(guid);
    await this.lookup(guid);
    const nonce = new Uint8Array(randomBytes(16));
    return {
      body: encodeTo1HelloRvAck({ nonceTo1Proof: nonce, sigInfoB: hello.sigInfoA }),
      token: this.tokens.issue({
        step: MessageType.TO1ProveToRV,
        nonce,
        guid: hello.guid,
        sigAlg: hello.sigInfoA.sgType,
      }),
    };
  }

  /** TO1.ProveToRV (32) -> TO1.RVRedirect (33): the owner's to1d, verbatim, for a verified EAT. */
  async proveToRv(body: Uint8Array, token: string | undefined): Promise<To1Reply> {
    const claims = this.tokens.verify(token, MessageType.TO1ProveToRV);
    const eat = decodeSignedEat(body, 'TO1.ProveToRV EAT');
    const registration = await this.lookup(guidToHex(claims.guid));
    let alg: number;
    try {
      alg = sign1Algorithm(eat.sign1);
    } catch (err) {
      if (err instanceof CryptoError) throw FdoProtocolError.invalid(`EAT ${err.message}`, err);
      throw err;
    }
    if (alg !== claims.sigAlg)
      throw FdoProtocolError.invalid(
        `EAT signed with ${sigAlgName(alg)}, but TO1.HelloRV announced ${sigAlgName(claims.sigAlg)}`,
      );
    verifyEat(eat, registration.deviceKey, { nonce: claims.nonce, guid: claims.guid });
    return { body: registration.to1d };
  }

  private async lookup(guid: string): Promise<To1Lookup> {
    const now = this.clock.now();
    const cached = this.lookups.get(guid, now.getTime());
    if (cached) return cached;
    const row = await this.registrations.findForTo1(guid, now);
    // Routine on first boot: the device often asks before its owner's TO0 has landed and retries.
    if (!row) throw FdoProtocolError.notFound('not found', { expected: true });
    const lookup: To1Lookup = {
      // A JWK imports in half the time of the SPKI (OpenSSL 3 decoders are slow).
      deviceKey: row.deviceKeyJwk
        ? createPublicKey({ key: row.deviceKeyJwk, format: 'jwk' })
        : createPublicKey({ key: row.deviceKeySpki, format: 'der', type: 'spki' }),
      to1d: new Uint8Array(row.to1d.buffer, row.to1d.byteOffset, row.to1d.byteLength),
      expiresAtMs: row.expiresAt.getTime(),
    };
    this.lookups.set(guid, lookup, now.getTime());
    return lookup;
  }
}

/** HelloRV, with a GUID of the wrong size reported as InvalidGuid (5) as FDO specifies. */
function readHelloRv(body: Uint8Array): To1HelloRv {
  try {
    return decodeTo1HelloRv(body);
  } catch (err) {
    if (!(err instanceof CborError)) throw err;
    const guid = (() => {
      try {
        return asArray(decode(body), 'TO1.HelloRV', 2)[0];
      } catch (inner) {
        if (inner instanceof CborError) return undefined;
        throw inner;
      }
    })();
    if (guid instanceof Uint8Array && guid.length !== GUID_LENGTH)
      throw new FdoProtocolError(
        ErrorCode.InvalidGuid,
        `TO1.HelloRV: a GUID is ${GUID_LENGTH} bytes, not ${guid.length}`,
      );
    throw err;
  }
}
