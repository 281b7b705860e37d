import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, FdoProtocolError, type Clock } from '@ztp/platform';
import {
  constantTimeEqual,
  CryptoError,
  decodeTo0d,
  decodeTo0Hello,
  decodeTo0OwnerSign,
  encodeTo0AcceptOwner,
  encodeTo0HelloAck,
  ErrorCode,
  fdoHashMatches,
  guidToHex,
  MessageType,
  parseVoucher,
  rvTo2AddrUrl,
  sigAlgsForPkType,
  toPublicKey,
  verifySign1,
  verifyVoucher,
  voucherDevicePublicKey,
  VoucherError,
  voucherOwnerKey,
  type OwnershipVoucher,
  type RvTo2Addr,
} from '@ztp/protocol';
import { ipBytesToText } from '@ztp/protocol';
import { type RegisteredTo2Address } from '@ztp/persistence';
import { evaluatePolicy, grantWaitSeconds } from '../policy/acceptance-policy';
import { PolicyStore } from '../policy/policy.store';
import { RateLimits } from '../rate-limit/rate-limits';
import { RegistrationLookupCache } from '../registrations/registration-cache';
import { RegistrationRepository } from '../registrations/registration.repository';
import { ProtocolTokens } from '../tokens/protocol-token';
import { checkTo2Addresses, readTo1dBlob } from './to1d-blob';

export interface To0Reply {
  body: Uint8Array;
  token?: string;
}

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

/** SHA-256 (hex) of a key's SubjectPublicKeyInfo: how keys are named in policies and the ledger. */
export function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(toPublicKey(key).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function invalidVoucher(message: string, cause?: unknown): FdoProtocolError {
  return new FdoProtocolError(ErrorCode.InvalidOwnershipVoucher, message, { cause });
}

function readableAddress(address: RvTo2Addr): RegisteredTo2Address {
  return {
    ip: address.ip === null ? null : ipBytesToText(address.ip),
    dns: address.dns,
    port: address.port,
    protocol: address.protocol,
  };
}

/**
 * TO0, the owner registering where its device will find it (FDO 1.1 section 5.3; go-fdo to0.go).
 * Error codes: 1 token, 100 structure, 101 nonce or to0d hash, 2 voucher (invalid, unextended,
 * refused by policy, not extending the registered one), 3 to1d not signed by the voucher's owner, 4 unusable IP address.
 */
@Injectable()
export class To0Service {
  private readonly logger = new Logger('TO0');

  constructor(
    private readonly tokens: ProtocolTokens,
    private readonly registrations: RegistrationRepository,
    private readonly lookups: RegistrationLookupCache,
    private readonly policies: PolicyStore,
    private readonly rateLimits: RateLimits,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** TO0.Hello (20) -> TO0.HelloAck (21): a fresh NonceTO0Sign, bound into the session token. */
  hello(body: Uint8Array): To0Reply {
    decodeTo0Hello(body);
    const nonce = new Uint8Array(randomBytes(16));
    return {
      body: encodeTo0HelloAck({ nonceTo0Sign: nonce }),
      token: this.tokens.issue({ step: MessageType.TO0OwnerSign, nonce }),
    };
  }

  /** TO0.OwnerSign (22) -> TO0.AcceptOwner (23) with the granted wait seconds. */
  async ownerSign(body: Uint8Array, token: string | undefined, sourceAddress: string): Promise<To0Reply> {
    const claims = this.tokens.verify(token, MessageType.TO0OwnerSign);
    const message = decodeTo0OwnerSign(body);
    const to0d = decodeTo0d(message.to0d.bytes);
    const to1d = readTo1dBlob(message.to1d.bytes);
    if (!constantTimeEqual(to0d.nonceTo0Sign, claims.nonce))
      throw FdoProtocolError.invalid('NonceTO0Sign in to0d is not the nonce of TO0.HelloAck');
    // Over the exact to0d bytes received: re-encoding could differ from what the owner hashed.
    if (!fdoHashMatches(to1d.to0dHash, message.to0d.bytes))
      throw FdoProtocolError.invalid('to0dHash in to1d is not the hash of to0d');

    const voucher = this.readVoucher(to0d.ownershipVoucher.bytes);
    const guid = guidToHex(voucher.header.guid);
    await this.rateLimits.checkGuid(guid);
    const deviceKey = this.verifyVoucher(voucher);
    const ownerKey = voucherOwnerKey(voucher);
    if (!this.signedBy(to1d.sign1, ownerKey.key, sigAlgsForPkType(ownerKey.type)))
      throw new FdoProtocolError(
        ErrorCode.InvalidOwnerSignBody,
        "to1d is not signed by the voucher's current owner key",
      );
    checkTo2Addresses(to1d.to2Addresses);

    const ownerKeySha256 = spkiSha256(ownerKey.key);
    const manufacturerKeySha256 = spkiSha256(voucher.header.manufacturerKey.key);
    const now = this.clock.now();
    const policy = await this.policies.current();
    const decision = evaluatePolicy(
      policy,
      { manufacturerKeySha256, ownerKeySha256, deviceChain: voucher.deviceCertChain! },
      now,
    );
    if (!decision.accepted)
      throw invalidVoucher(`refused by the rendezvous acceptance policy: ${decision.reason}`);

    const waitSeconds = grantWaitSeconds(policy, to0d.waitSeconds);
    const stored = await this.registrations.upsert({
      guid,
      voucher: voucher.bytes,
      to1d: message.to1d.bytes,
      numEntries: voucher.entries.length,
      headerSha256: sha256(voucher.header.bytes),
      entrySha256: voucher.entries.map((entry) => sha256(entry.bytes)),
      ownerKeySha256,
      manufacturerKeySha256,
      deviceKeySpki: new Uint8Array(deviceKey.export({ type: 'spki', format: 'der' })),
      deviceKeyJwk: deviceKey.export({ format: 'jwk' }),
      to2Addresses: to1d.to2Addresses.map(readableAddress),
      requestedWaitSeconds: to0d.waitSeconds,
      grantedWaitSeconds: waitSeconds,
      registeredAt: now,
      expiresAt: new Date(now.getTime() + waitSeconds * 1000),
      sourceAddress,
    });
    if (!stored)
      throw invalidVoucher(
        'another registration is in force for this GUID and this voucher does not extend it ' +
          '(same header, its entries first): a later owner holds the device, or the voucher is not ' +
          "the registered device's; the rendezvous operator can delete the registration",
      );
    this.lookups.delete(guid);
    this.logger.debug(
      `registered ${guid} for ${waitSeconds} s: ${to1d.to2Addresses.map(rvTo2AddrUrl).join(', ')}`,
    );
    return { body: encodeTo0AcceptOwner({ waitSeconds }) };
  }

  private readVoucher(bytes: Uint8Array): OwnershipVoucher {
    try {
      return parseVoucher(bytes);
    } catch (err) {
      if (err instanceof VoucherError) throw invalidVoucher(err.message, err);
      throw err;
    }
  }

  /**
   * Verifies the voucher chain; returns the device attestation key TO1 will check EATs with. A
   * voucher with no entries is owned by its header key: the replacement voucher TO2 leaves (its
   * header key is the Owner2Key), registered again so a reset device finds its owner.
   */
  private verifyVoucher(voucher: OwnershipVoucher): KeyObject {
    try {
      verifyVoucher(voucher);
      const deviceKey = voucherDevicePublicKey(voucher);
      if (!deviceKey)
        throw invalidVoucher('the voucher has no device certificate chain (EPID devices are not supported)');
      return deviceKey;
    } catch (err) {
      if (err instanceof VoucherError) throw invalidVoucher(`invalid ownership voucher: ${err.message}`, err);
      throw err;
    }
  }

  private signedBy(
    sign1: Parameters<typeof verifySign1>[0],
    key: KeyObject,
    algs: readonly number[],
  ): boolean {
    try {
      return verifySign1(sign1, key, { allowedAlgs: algs });
    } catch (err) {
      if (err instanceof CryptoError) return false;
      throw err;
    }
  }
}
