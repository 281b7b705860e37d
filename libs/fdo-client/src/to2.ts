import {
  chunkServiceInfo,
  CipherSuite,
  computeFdoHash,
  computeFdoHmac,
  constantTimeEqual,
  CoseHeader,
  createSoftwareSigner,
  cryptoRandom,
  decodeFdoHash,
  decodeOvHeader,
  decodePublicKey,
  decodeSign1,
  decodeTo2Done2,
  decodeTo2OvNextEntry,
  decodeTo2OwnerServiceInfo,
  decodeTo2OwnerServiceInfoReady,
  decodeTo2ProveOvHdrPayload,
  decodeTo2SetupDevicePayload,
  DEFAULT_MAX_SERVICE_INFO_SIZE,
  type Devmod,
  type EtmKeySizes,
  devmodServiceInfo,
  encode,
  encodeOvHeader,
  encodeTo2DeviceServiceInfo,
  encodeTo2DeviceServiceInfoReady,
  encodeTo2Done,
  encodeTo2GetOvNextEntry,
  encodeTo2HelloDevice,
  fdoDigestToCbor,
  fdoHashMatches,
  type FdoPublicKey,
  guidsEqual,
  guidToHex,
  HashAlg,
  type KexSuite,
  MessageType,
  newEatPayload,
  parseGuid,
  parseVoucher,
  proveDeviceFdoClaim,
  publicKeyFromCbor,
  type RandomSource,
  RawCbor,
  samePublicKey,
  type ServiceInfo,
  ServiceInfoReassembler,
  type ServiceInfoKv,
  serviceInfoKv,
  sigAlgsForPkType,
  signEat,
  splitArray,
  TunnelSession,
  verifyHeaderHmac,
  verifySign1,
  verifyVoucherEntries,
  voucherOwnerKey,
  deviceRespond,
  type CborValue,
} from '@ztp/protocol';
import { type CipherSuiteName, type DeviceCredential } from './device-credential';
import { type FdoHttpSession } from './http-transport';
import { type DeviceServiceInfoModule } from './service-info-modules/device-module';
import { verifyTo1dOwner } from './to1';
import { To2VerificationError } from './to2-verification-error';

export interface To2DeviceOptions {
  /** A fresh session against the owner's TO2 URL (it carries this run's token). */
  session: FdoHttpSession;
  credential: DeviceCredential;
  /** Key exchange and cipher to offer; default the credential's. */
  kexSuite?: KexSuite;
  cipherSuite?: CipherSuiteName;
  /**
   * CBC/CTR key sizes to try first on SetupDevice (65): `spec` (default) or `go-fdo`; the other is
   * tried when they do not authenticate (EtmKeySizes).
   */
  etmKeySizes?: EtmKeySizes;
  /** What the device tells about itself; `modules` is filled in from `modules` below. */
  devmod?: Partial<Omit<Devmod, 'modules'>>;
  /** The device's ServiceInfo modules (see standardDeviceModules). */
  modules?: DeviceServiceInfoModule[];
  /** The owner-signed to1d from TO1 (null for RV bypass): TO2 checks the owner really signed it. */
  to1d?: Uint8Array | null;
  /** Largest ServiceInfo the device accepts per message (sent in 66). Default 1300. */
  maxServiceInfoSize?: number;
  /** Keep the credential when the owner offers credential reuse. Default true. */
  acceptCredentialReuse?: boolean;
  /** Sign with RSASSA-PSS (RSA device keys whose voucher says RSAPSS). */
  pss?: boolean;
  /** Bound on ServiceInfo rounds. Default 100,000. */
  maxRounds?: number;
  random?: RandomSource;
}

export interface To2Outcome {
  /** The credential to keep: the replacement one, or the same under credential reuse. */
  credential: DeviceCredential;
  credentialReused: boolean;
  /** The owner key the device verified (the voucher's last entry). */
  ownerKey: FdoPublicKey;
  serviceInfoRounds: number;
}

const DEFAULT_DEVMOD: Omit<Devmod, 'modules'> = {
  os: 'linux',
  arch: 'x86_64',
  version: 'ztp device simulator',
  device: 'ztp-device-sim',
  sep: ';',
  bin: 'x86_64',
};

const fail = (failure: ConstructorParameters<typeof To2VerificationError>[0], message: string) =>
  new To2VerificationError(failure, message);

/**
 * The device side of TO2 (FDO 1.1 section 5.5; go-fdo to2.go), verifying everything a device must:
 * the HelloDevice hash and nonce in ProveOVHdr, its signature by CUPHOwnerPubKey, the header HMAC
 * with the device secret, the manufacturer key hash, every voucher entry (signatures, hashes, key
 * types: the voucher library's checks over the entries pulled one by one), that the last entry is
 * CUPHOwnerPubKey and signed to1d; then the key exchange, SetupDevice signed by Owner2Key with its
 * nonce, devmod and the owner's modules over the encrypted tunnel, and Done2's nonce. The new
 * credential (new GUID, RendezvousInfo, Owner2Key hash and a new HMAC secret) is returned, not
 * saved: the caller keeps it only because TO2 completed.
 */
export async function runTo2(options: To2DeviceOptions): Promise<To2Outcome> {
  const { session, credential } = options;
  const random = options.random ?? cryptoRandom;
  const kexSuite = options.kexSuite ?? credential.kexSuite;
  const cipher = CipherSuite[options.cipherSuite ?? credential.cipherSuite];
  const signer = createSoftwareSigner(credential.privateKey, { pss: options.pss });
  const guid = parseGuid(credential.guid);

  // 60 -> 61
  const nonceProveOv = random(16);
  const hello = encodeTo2HelloDevice({
    maxDeviceMessageSize: 65535,
    guid,
    nonceTo2ProveOv: nonceProveOv,
    kexSuiteName: kexSuite,
    cipherSuite: cipher,
    sigInfoA: { sgType: signer.alg, info: new Uint8Array(0) },
  });
  const proof = decodeSign1(
    (await session.send(MessageType.TO2HelloDevice, hello, MessageType.TO2ProveOVHdr)).body,
  );
  const payload = decodeTo2ProveOvHdrPayload(proof.payload ?? new Uint8Array(0));
  if (!fdoHashMatches(decodeFdoHash(payload.helloDeviceHash.decode(), 'HelloDeviceHash'), hello))
    throw fail('hello-device-hash', 'ProveOVHdr does not carry the hash of the HelloDevice sent');
  const cuphOwnerKey = proof.unprotectedHeader.get(CoseHeader.CUPHOwnerPubKey);
  const cuphNonce = proof.unprotectedHeader.get(CoseHeader.CUPHNonce);
  if (cuphOwnerKey === undefined || !(cuphNonce instanceof Uint8Array) || cuphNonce.length !== 16)
    throw fail('owner-signature', 'ProveOVHdr lacks CUPHOwnerPubKey or CUPHNonce');
  const ownerKey = publicKeyFromCbor(cuphOwnerKey as CborValue);
  if (!verifySign1(proof, ownerKey.key, { allowedAlgs: sigAlgsForPkType(ownerKey.type) }))
    throw fail('owner-signature', 'the ProveOVHdr signature does not verify with CUPHOwnerPubKey');
  if (!guidsEqual(payload.nonceTo2ProveOv, nonceProveOv))
    throw fail('nonce', 'ProveOVHdr answers another nonce');
  const nonceProveDv = cuphNonce;

  // 62/63: the voucher from its parts, checked by the voucher library as a whole.
  const entries: Uint8Array[] = [];
  for (let i = 0; i < payload.numOvEntries; i++) {
    const next = decodeTo2OvNextEntry(
      (
        await session.send(
          MessageType.TO2GetOVNextEntry,
          encodeTo2GetOvNextEntry({ entryNum: i }),
          MessageType.TO2OVNextEntry,
        )
      ).body,
    );
    if (next.entryNum !== i) throw fail('voucher-entries', `asked for entry ${i}, got ${next.entryNum}`);
    entries.push(next.entry.bytes);
  }
  const voucher = parseVoucher(
    encode([101, payload.ovHeader.bytes, payload.hmac, null, entries.map((entry) => new RawCbor(entry))]),
  );
  const header = decodeOvHeader(payload.ovHeader.bytes);
  try {
    verifyHeaderHmac(voucher, credential.hmacSecret);
  } catch (err) {
    throw new To2VerificationError(
      'header-hmac',
      'the voucher header HMAC does not match the device secret',
      { cause: err },
    );
  }
  if (!guidsEqual(header.guid, guid)) throw fail('guid', 'the voucher is for another GUID');
  if (!fdoHashMatches(credential.manufacturerKeyHash, header.manufacturerKey.bytes))
    throw fail('manufacturer-key', 'the voucher manufacturer key is not the one this device trusts');
  try {
    verifyVoucherEntries(voucher);
  } catch (err) {
    throw new To2VerificationError('voucher-entries', `voucher entries: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const lastOwnerKey = voucherOwnerKey(voucher);
  if (!samePublicKey(lastOwnerKey, ownerKey))
    throw fail('owner-key', 'CUPHOwnerPubKey is not the last owner of the voucher');
  if (options.to1d && !verifyTo1dOwner(options.to1d, lastOwnerKey))
    throw fail('to1d-signature', 'the to1d from rendezvous was not signed by this owner');

  // 64 -> 65
  const exchange = deviceRespond(kexSuite, payload.xAKeyExchange, {
    ownerPublicKey: lastOwnerKey.key,
    random,
  });
  const nonceSetupDv = random(16);
  const eat = await signEat(signer, newEatPayload(guid, nonceProveDv, proveDeviceFdoClaim(exchange.xB)), {
    euphNonce: nonceSetupDv,
  });
  // SetupDevice is the first encrypted message: for CBC/CTR its keys tell which key-size
  // convention the owner follows (spec or go-fdo), and the tunnel keeps that one.
  const { session: tunnel, plaintext: setupPlaintext } = TunnelSession.openFirst(
    cipher,
    exchange.secret,
    (await session.send(MessageType.TO2ProveDevice, eat.bytes, MessageType.TO2SetupDevice)).body,
    { prefer: options.etmKeySizes },
  );
  const setupSign1 = decodeSign1(setupPlaintext);
  const setupBytes = setupSign1.payload ?? new Uint8Array(0);
  const setup = decodeTo2SetupDevicePayload(setupBytes);
  const owner2Key = decodePublicKey(setup.owner2Key.bytes);
  if (!verifySign1(setupSign1, owner2Key.key, { allowedAlgs: sigAlgsForPkType(owner2Key.type) }))
    throw fail('setup-signature', 'SetupDevice is not signed by the Owner2Key it carries');
  if (!guidsEqual(setup.nonceTo2SetupDv, nonceSetupDv))
    throw fail('nonce', 'SetupDevice answers another nonce');
  const rvInfoBytes = splitArray(setupBytes)[0]!;
  const reuse =
    guidsEqual(setup.guid, guid) &&
    Buffer.from(rvInfoBytes).equals(Buffer.from(header.rendezvousInfo.bytes)) &&
    samePublicKey(owner2Key, lastOwnerKey);
  const keepCredential = reuse && options.acceptCredentialReuse !== false;

  // 66 -> 67: a new HMAC secret, and the HMAC of the replacement header under it.
  const hmacAlg = voucher.headerHmac.alg;
  const newSecret = random(hmacAlg === HashAlg.HMAC_SHA384 ? 48 : 32);
  const replacementHeader = encodeOvHeader({
    guid: setup.guid,
    rendezvousInfo: new RawCbor(rvInfoBytes),
    deviceInfo: header.deviceInfo,
    manufacturerKey: owner2Key,
    certChainHash: header.certChainHash,
  });
  const replacementHmac = keepCredential
    ? null
    : new RawCbor(encode(fdoDigestToCbor(computeFdoHmac(hmacAlg, newSecret, replacementHeader.bytes))));
  const receiveSize = options.maxServiceInfoSize ?? DEFAULT_MAX_SERVICE_INFO_SIZE;
  const ready = decodeTo2OwnerServiceInfoReady(
    tunnel.decrypt(
      (
        await session.send(
          MessageType.TO2DeviceServiceInfoReady,
          tunnel.encrypt(
            encodeTo2DeviceServiceInfoReady({ replacementHmac, maxOwnerServiceInfoSize: receiveSize }),
          ),
          MessageType.TO2OwnerServiceInfoReady,
        )
      ).body,
    ),
  );

  // 68/69
  const rounds = await exchangeServiceInfo(
    session,
    tunnel,
    ready.maxDeviceServiceInfoSize ?? DEFAULT_MAX_SERVICE_INFO_SIZE,
    {
      ...DEFAULT_DEVMOD,
      ...options.devmod,
      ...(credential.serialNumber ? { sn: credential.serialNumber } : {}),
    },
    options.modules ?? [],
    options.maxRounds ?? 100_000,
  );

  // 70 -> 71
  const done2 = decodeTo2Done2(
    tunnel.decrypt(
      (
        await session.send(
          MessageType.TO2Done,
          tunnel.encrypt(encodeTo2Done({ nonceTo2ProveDv: nonceProveDv })),
          MessageType.TO2Done2,
        )
      ).body,
    ),
  );
  if (!constantTimeEqual(done2.nonceTo2SetupDv, nonceSetupDv))
    throw fail('nonce', 'Done2 answers another nonce');

  const replacement: DeviceCredential = keepCredential
    ? credential
    : {
        ...credential,
        guid: guidToHex(setup.guid),
        rendezvousInfo: rvInfoBytes,
        manufacturerKeyHash: computeFdoHash(credential.manufacturerKeyHash.alg, owner2Key.bytes),
        hmacSecret: newSecret,
        kexSuite,
        cipherSuite: options.cipherSuite ?? credential.cipherSuite,
      };
  return {
    credential: replacement,
    credentialReused: keepCredential,
    ownerKey: lastOwnerKey,
    serviceInfoRounds: rounds,
  };
}

/** devmod first, then the owner's modules; returns the number of 68/69 rounds. */
async function exchangeServiceInfo(
  session: FdoHttpSession,
  tunnel: TunnelSession,
  sendSize: number,
  devmod: Omit<Devmod, 'modules'>,
  modules: DeviceServiceInfoModule[],
  maxRounds: number,
): Promise<number> {
  const byName = new Map(modules.map((module) => [module.name, module]));
  const devmodKvs = devmodServiceInfo(
    { ...devmod, modules: ['devmod', ...byName.keys()] },
    { maxSize: sendSize },
  ).flat();
  // Packed as tightly as the owner's size allows (go-fdo starts the module list in a new message).
  const outbox: ServiceInfo[] = chunkServiceInfo(devmodKvs, { maxSize: sendSize, splitValues: false });
  let pending: ServiceInfoKv[] = [];
  const reassembler = new ServiceInfoReassembler();
  for (let round = 1; round <= maxRounds; round++) {
    const serviceInfo = outbox.shift() ?? [];
    const isMore = outbox.length > 0;
    const reply = decodeTo2OwnerServiceInfo(
      tunnel.decrypt(
        (
          await session.send(
            MessageType.TO2DeviceServiceInfo,
            tunnel.encrypt(encodeTo2DeviceServiceInfo({ isMoreServiceInfo: isMore, serviceInfo })),
            MessageType.TO2OwnerServiceInfo,
          )
        ).body,
      ),
    );
    for (const message of reassembler.push(reply.serviceInfo)) {
      const respond = (name: string, body: CborValue) =>
        pending.push(serviceInfoKv(message.module, name, body));
      const module = byName.get(message.module);
      if (message.message === 'active') {
        respond('active', module !== undefined);
        if (module && message.body === true) await module.activate?.(respond);
        continue;
      }
      if (module) await module.receive(message.message, message.body, respond);
    }
    if (reply.isDone) {
      reassembler.finish();
      return round;
    }
    if (!reply.isMoreServiceInfo && outbox.length === 0 && pending.length > 0) {
      outbox.push(...chunkServiceInfo(pending, { maxSize: sendSize }));
      pending = [];
    }
  }
  throw fail('round-limit', `ServiceInfo did not finish within ${maxRounds} rounds`);
}
