import { type DeviceCredential, FdoHttpSession } from '@ztp/fdo-client';
import {
  CipherSuite,
  CoseHeader,
  createSoftwareSigner,
  cryptoRandom,
  decodeSign1,
  decodeTo2OwnerServiceInfo,
  decodeTo2ProveOvHdrPayload,
  deviceRespond,
  type EatPayload,
  encode,
  encodeTo2DeviceServiceInfo,
  encodeTo2DeviceServiceInfoReady,
  encodeTo2Done,
  encodeTo2GetOvNextEntry,
  encodeTo2HelloDevice,
  KexSuite,
  MessageType,
  newEatPayload,
  parseGuid,
  proveDeviceFdoClaim,
  publicKeyFromCbor,
  RawCbor,
  type ServiceInfo,
  signEat,
  type To2OwnerServiceInfo,
  type To2ProveOvHdrPayload,
  TunnelSession,
  type CborValue,
  type EtmKeySizes,
} from '@ztp/protocol';

/**
 * A device driven message by message, for tests that send what a correct device would not
 * (FIDO conformance style negative tests): each step can be bent by the caller.
 */
export class ManualDevice {
  readonly session: FdoHttpSession;
  readonly signer;
  proof!: To2ProveOvHdrPayload;
  nonceProveDv!: Uint8Array;
  nonceSetupDv!: Uint8Array;
  tunnel!: TunnelSession;
  /**
   * The AES-CBC/CTR key sizes this device derives, and the only ones it accepts (go-fdo's client
   * is as strict with its own).
   */
  etmKeySizes: EtmKeySizes = 'spec';
  private xA!: Uint8Array;
  private ownerKey!: ReturnType<typeof publicKeyFromCbor>;

  constructor(
    readonly credential: DeviceCredential,
    baseUrl: string,
    readonly kexSuite: KexSuite = KexSuite.ECDH256,
    readonly cipher: number = CipherSuite.A128GCM,
    /** How requests travel (default: fetch to baseUrl); tests route messages to other replicas. */
    fetch?: ConstructorParameters<typeof FdoHttpSession>[0]['fetch'],
  ) {
    this.session = new FdoHttpSession({ baseUrl, fetch });
    this.signer = createSoftwareSigner(credential.privateKey);
  }

  helloBody(overrides: { kexSuiteName?: string; sgType?: number } = {}): Uint8Array {
    return encodeTo2HelloDevice({
      maxDeviceMessageSize: 65535,
      guid: parseGuid(this.credential.guid),
      nonceTo2ProveOv: cryptoRandom(16),
      kexSuiteName: overrides.kexSuiteName ?? this.kexSuite,
      cipherSuite: this.cipher,
      sigInfoA: { sgType: overrides.sgType ?? this.signer.alg, info: new Uint8Array(0) },
    });
  }

  async hello(body = this.helloBody()): Promise<void> {
    const reply = await this.session.send(MessageType.TO2HelloDevice, body, MessageType.TO2ProveOVHdr);
    const sign1 = decodeSign1(reply.body);
    this.proof = decodeTo2ProveOvHdrPayload(sign1.payload!);
    this.nonceProveDv = sign1.unprotectedHeader.get(CoseHeader.CUPHNonce) as Uint8Array;
    this.ownerKey = publicKeyFromCbor(sign1.unprotectedHeader.get(CoseHeader.CUPHOwnerPubKey) as CborValue);
    this.xA = this.proof.xAKeyExchange;
  }

  entry(index: number) {
    return this.session.send(MessageType.TO2GetOVNextEntry, encodeTo2GetOvNextEntry({ entryNum: index }));
  }

  /** The ProveDevice body; `bend` may change the EAT payload before it is signed. */
  async proveBody(bend: (payload: EatPayload) => void = () => undefined): Promise<Uint8Array> {
    const exchange = deviceRespond(this.kexSuite, this.xA, { ownerPublicKey: this.ownerKey.key });
    this.tunnel = TunnelSession.establish(this.cipher as CipherSuite, exchange.secret, {
      keySizes: this.etmKeySizes,
    });
    this.nonceSetupDv = cryptoRandom(16);
    const payload = newEatPayload(
      parseGuid(this.credential.guid),
      this.nonceProveDv,
      proveDeviceFdoClaim(exchange.xB),
    );
    bend(payload);
    return (await signEat(this.signer, payload, { euphNonce: this.nonceSetupDv })).bytes;
  }

  async prove(body?: Uint8Array): Promise<Uint8Array> {
    const reply = await this.session.send(
      MessageType.TO2ProveDevice,
      body ?? (await this.proveBody()),
      MessageType.TO2SetupDevice,
    );
    return this.tunnel.decrypt(reply.body);
  }

  /** 66 with a syntactically valid replacement HMAC (the owner cannot check it) or null. */
  readyBody(hmac: 'some' | null = 'some'): Uint8Array {
    const replacementHmac = hmac ? new RawCbor(encode([5, new Uint8Array(32)])) : null;
    return this.tunnel.encrypt(
      encodeTo2DeviceServiceInfoReady({ replacementHmac, maxOwnerServiceInfoSize: null }),
    );
  }

  async ready(body = this.readyBody()): Promise<void> {
    await this.session.send(
      MessageType.TO2DeviceServiceInfoReady,
      body,
      MessageType.TO2OwnerServiceInfoReady,
    );
  }

  serviceInfoBody(isMore: boolean, serviceInfo: ServiceInfo): Uint8Array {
    return this.tunnel.encrypt(encodeTo2DeviceServiceInfo({ isMoreServiceInfo: isMore, serviceInfo }));
  }

  async serviceInfo(isMore: boolean, serviceInfo: ServiceInfo): Promise<To2OwnerServiceInfo> {
    const reply = await this.session.send(
      MessageType.TO2DeviceServiceInfo,
      this.serviceInfoBody(isMore, serviceInfo),
      MessageType.TO2OwnerServiceInfo,
    );
    return decodeTo2OwnerServiceInfo(this.tunnel.decrypt(reply.body));
  }

  doneBody(nonce = this.nonceProveDv): Uint8Array {
    return this.tunnel.encrypt(encodeTo2Done({ nonceTo2ProveDv: nonce }));
  }

  done(body = this.doneBody()) {
    return this.session.send(MessageType.TO2Done, body, MessageType.TO2Done2);
  }

  /** Sends any body as message `type` on this session. */
  raw(type: number, body: Uint8Array) {
    return this.session.send(type, body);
  }
}
