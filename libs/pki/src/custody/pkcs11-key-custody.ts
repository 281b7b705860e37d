import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
// The default import (module.exports): pkcs11js builds its exports by spreading the native addon, so
// Node's ESM loader finds no named exports but PKCS11 and `import * as` leaves every CK* constant
// undefined (flags 0 -> CKR_SESSION_PARALLEL_NOT_SUPPORTED). Vitest's interop hid that.
import pkcs11, {
  type Handle,
  type KeyPair,
  type Mechanism,
  type RsaOAEP,
  type RsaPSS,
  type Template,
} from 'pkcs11js';
import { SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { KeyCustodyError } from '../errors';
import { isKeySpec, type KeySpec, keySpecOf } from '../key-spec';
import { checkKeyIdentity } from './key-identity';
import { type CustodyKeyInfo, type KeyCustody, type RsaOaepParams } from './key-custody';
import { chooseSigningAlg } from './signing-alg';

export interface Pkcs11KeyCustodyOptions {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  readonly modulePath: string;
  /** The token, by label or by slot id; exactly one. */
  readonly tokenLabel?: string;
  readonly slotId?: number;
  /** The user PIN (CKU_USER). Read from a secret file by the caller, never from the environment. */
  readonly pin: string;
  readonly now: () => Date;
  /** Sessions kept open for concurrent operations. Default 4. */
  readonly sessions?: number;
  /** A token call that takes longer is reported as `token-timeout` (its result is dropped). Default 10 s. */
  readonly operationTimeoutMs?: number;
}

/** The public metadata of a token key, kept in the token itself as a CKO_DATA object beside the key. */
interface KeyMetadata {
  readonly spec: KeySpec;
  readonly purpose: string;
  readonly createdAt: string;
  readonly publicKeySpki: string;
}

const APPLICATION = 'ztp-key-custody';
/** CK_RSA_PKCS_OAEP_SOURCE_TYPE: the OAEP label is given (empty here); pkcs11js does not export it. */
const CKZ_DATA_SPECIFIED = 1;
const EC_PARAMS: Record<'P-256' | 'P-384', Buffer> = {
  'P-256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'P-384': Buffer.from('06052b81040022', 'hex'),
};
/** PKCS#11 says a token was reset, closed our sessions or logged us out: reopen, log in, retry once. */
const SESSION_LOST = new Set([
  pkcs11.CKR_SESSION_HANDLE_INVALID,
  pkcs11.CKR_SESSION_CLOSED,
  pkcs11.CKR_USER_NOT_LOGGED_IN,
  pkcs11.CKR_OBJECT_HANDLE_INVALID,
  pkcs11.CKR_KEY_HANDLE_INVALID,
  pkcs11.CKR_TOKEN_NOT_PRESENT,
  pkcs11.CKR_DEVICE_REMOVED,
  pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED,
]);

/**
 * KeyCustody in a PKCS#11 token (an HSM; SoftHSM2 in tests and CI). Keys are generated in the token
 * as token objects with CKA_SENSITIVE and not CKA_EXTRACTABLE, so the private part never leaves it;
 * every signature and decryption is a token operation. Hashing happens here (the data is not secret)
 * and the token signs the digest for ECDSA, which also keeps large messages off slow token links.
 *
 * ECDSA: PKCS#11 CKM_ECDSA returns r||s, fixed length, which is the COSE (and WebCrypto) form the
 * Signer port promises; X.509 issuance converts it to DER in signer-crypto like any other Signer.
 *
 * Sessions: a small pool of R/W sessions on one slot, one login for the application. A token reset
 * (closed sessions, logged out, token re-inserted) shows as one of SESSION_LOST; the pool is then
 * reopened and logged in again and the operation retried once. Every token call runs on libuv's
 * thread pool (pkcs11js callbacks) under a timeout, so a stuck token is a `token-timeout` error
 * instead of a hung request.
 */
export class Pkcs11KeyCustody implements KeyCustody {
  private readonly module = new pkcs11.PKCS11();
  private slot: Handle | undefined;
  private idle: Handle[] = [];
  /** Operations waiting for a session while all `poolSize` are busy. */
  private waiting: { resolve: (session: Handle) => void; reject: (error: unknown) => void }[] = [];
  private open = 0;
  private generation = 0;
  private opening: Promise<void> | undefined;
  private readonly handles = new Map<string, { priv: Handle; generation: number }>();
  private readonly poolSize: number;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(private readonly options: Pkcs11KeyCustodyOptions) {
    if ((options.tokenLabel === undefined) === (options.slotId === undefined)) {
      throw new KeyCustodyError('token-error', 'name the token by label or by slot id (exactly one)');
    }
    this.poolSize = options.sessions ?? 4;
    this.timeoutMs = options.operationTimeoutMs ?? 10_000;
    try {
      this.module.load(options.modulePath);
    } catch (cause) {
      throw new KeyCustodyError('token-error', `cannot load PKCS#11 module ${options.modulePath}`, { cause });
    }
    try {
      // Operations run on libuv's thread pool, so the module must lock (NULL arguments would promise
      // single-threaded use, and SoftHSM2 then corrupts state under concurrent signing).
      this.module.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
    } catch (cause) {
      if (!(cause instanceof pkcs11.Pkcs11Error && cause.code === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
        throw tokenError('C_Initialize', cause);
      }
    }
  }

  async generateKey(request: { keyId: string; spec: KeySpec; purpose: string }): Promise<CustodyKeyInfo> {
    checkKeyIdentity(request.keyId, request.purpose);
    if (!isKeySpec(request.spec)) {
      throw new KeyCustodyError(
        'unsupported-key-type',
        `cannot generate a key of type ${String(request.spec)}`,
      );
    }
    return this.withSession(async (session) => {
      if (this.findObject(session, request.keyId, pkcs11.CKO_DATA) !== undefined) {
        throw new KeyCustodyError('key-exists', `a key with id ${request.keyId} already exists`);
      }
      const common = { id: keyObjectId(request.keyId), label: request.keyId };
      const { mechanism, publicTemplate, privateTemplate } = generationTemplates(request.spec, common);
      const pair = await this.call<KeyPair>('C_GenerateKeyPair', (cb) =>
        this.module.C_GenerateKeyPair(session, { mechanism }, publicTemplate, privateTemplate, cb),
      );
      const publicKey = this.readPublicKey(session, pair.publicKey, request.spec);
      return this.storeMetadata(session, request.keyId, request.spec, request.purpose, publicKey);
    });
  }

  /**
   * Puts an existing private key into the token as a sensitive, non-extractable object (the migration
   * path from software custody). The caller drops its copy afterwards.
   */
  async importKey(request: {
    keyId: string;
    privateKey: KeyObject;
    purpose: string;
  }): Promise<CustodyKeyInfo> {
    checkKeyIdentity(request.keyId, request.purpose);
    if (request.privateKey.type !== 'private') {
      throw new KeyCustodyError('unsupported-key-type', 'importKey needs a private key');
    }
    const spec = keySpecOf(request.privateKey);
    if (!spec)
      throw new KeyCustodyError('unsupported-key-type', 'key is not P-256, P-384, RSA-2048 or RSA-3072');
    const publicKey = createPublicKey(request.privateKey);
    const jwk = request.privateKey.export({ format: 'jwk' });
    const b = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
    return this.withSession(async (session) => {
      if (this.findObject(session, request.keyId, pkcs11.CKO_DATA) !== undefined) {
        throw new KeyCustodyError('key-exists', `a key with id ${request.keyId} already exists`);
      }
      const common = privateKeyAttributes({ id: keyObjectId(request.keyId), label: request.keyId });
      const material: Template =
        spec === 'P-256' || spec === 'P-384'
          ? [
              { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
              { type: pkcs11.CKA_EC_PARAMS, value: EC_PARAMS[spec] },
              { type: pkcs11.CKA_VALUE, value: b(jwk.d) },
            ]
          : [
              { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_RSA },
              { type: pkcs11.CKA_MODULUS, value: b(jwk.n) },
              { type: pkcs11.CKA_PUBLIC_EXPONENT, value: b(jwk.e) },
              { type: pkcs11.CKA_PRIVATE_EXPONENT, value: b(jwk.d) },
              { type: pkcs11.CKA_PRIME_1, value: b(jwk.p) },
              { type: pkcs11.CKA_PRIME_2, value: b(jwk.q) },
              { type: pkcs11.CKA_EXPONENT_1, value: b(jwk.dp) },
              { type: pkcs11.CKA_EXPONENT_2, value: b(jwk.dq) },
              { type: pkcs11.CKA_COEFFICIENT, value: b(jwk.qi) },
            ];
      try {
        this.module.C_CreateObject(session, [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
          ...common,
          ...material,
        ]);
      } catch (cause) {
        throw tokenError('C_CreateObject', cause);
      }
      return this.storeMetadata(session, request.keyId, spec, request.purpose, publicKey);
    });
  }

  async describeKey(keyId: string): Promise<CustodyKeyInfo> {
    return this.withSession(async (session) => this.metadata(session, keyId));
  }

  async publicKey(keyId: string): Promise<KeyObject> {
    return (await this.describeKey(keyId)).publicKey;
  }

  async signer(keyId: string, alg?: SigAlg): Promise<Signer> {
    const info = await this.describeKey(keyId);
    const chosen = chooseSigningAlg(keyId, info.spec, alg);
    const { mechanism, input, outputLength } = signingMechanism(chosen, info.spec);
    return {
      alg: chosen,
      publicKey: info.publicKey,
      sign: async (data) =>
        this.withSession(async (session) => {
          const key = this.privateKeyHandle(session, keyId);
          this.module.C_SignInit(session, mechanism, key);
          const signature = await this.call<Buffer>('C_Sign', (cb) =>
            this.module.C_Sign(session, input(data), Buffer.alloc(outputLength), cb),
          );
          return new Uint8Array(signature);
        }),
    };
  }

  async decrypt(keyId: string, ciphertext: Uint8Array, params: RsaOaepParams): Promise<Uint8Array> {
    const info = await this.describeKey(keyId);
    if (info.spec !== 'RSA-2048' && info.spec !== 'RSA-3072') {
      throw new KeyCustodyError(
        'unsupported-algorithm',
        `RSA-OAEP needs an RSA key; ${keyId} is ${info.spec}`,
      );
    }
    const sha384 = params.hash === 'SHA-384';
    const mechanism: Mechanism = {
      mechanism: pkcs11.CKM_RSA_PKCS_OAEP,
      parameter: {
        type: pkcs11.CK_PARAMS_RSA_OAEP,
        hashAlg: sha384 ? pkcs11.CKM_SHA384 : pkcs11.CKM_SHA256,
        mgf: sha384 ? pkcs11.CKG_MGF1_SHA384 : pkcs11.CKG_MGF1_SHA256,
        source: CKZ_DATA_SPECIFIED,
      } as RsaOAEP,
    };
    return this.withSession(async (session) => {
      const key = this.privateKeyHandle(session, keyId);
      try {
        this.module.C_DecryptInit(session, mechanism, key);
      } catch (cause) {
        if (
          cause instanceof pkcs11.Pkcs11Error &&
          [
            pkcs11.CKR_ARGUMENTS_BAD,
            pkcs11.CKR_MECHANISM_INVALID,
            pkcs11.CKR_MECHANISM_PARAM_INVALID,
          ].includes(cause.code)
        ) {
          throw new KeyCustodyError(
            'unsupported-algorithm',
            `the token does not do RSA-OAEP with ${params.hash} (${cause.message})`,
            { cause },
          );
        }
        throw cause;
      }
      try {
        const plain = await this.call<Buffer>('C_Decrypt', (cb) =>
          this.module.C_Decrypt(session, Buffer.from(ciphertext), Buffer.alloc(ciphertext.length), cb),
        );
        return new Uint8Array(plain);
      } catch (cause) {
        if (cause instanceof pkcs11.Pkcs11Error && SESSION_LOST.has(cause.code)) throw cause;
        if (cause instanceof KeyCustodyError && cause.code === 'token-timeout') throw cause;
        throw new KeyCustodyError('decrypt-failed', `RSA-OAEP decryption with ${keyId} failed`, { cause });
      }
    });
  }

  async destroyKey(keyId: string): Promise<void> {
    await this.withSession(async (session) => {
      const data = this.findObject(session, keyId, pkcs11.CKO_DATA);
      if (data === undefined) throw new KeyCustodyError('key-not-found', `no key with id ${keyId}`);
      for (const objectClass of [pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY]) {
        const object = this.findObject(session, keyId, objectClass);
        if (object !== undefined) this.module.C_DestroyObject(session, object);
      }
      this.module.C_DestroyObject(session, data);
      this.handles.delete(keyId);
    });
  }

  /** Closes every session and finalizes the module. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) {
      waiter.reject(new KeyCustodyError('token-error', 'the PKCS#11 custody is closed'));
    }
    try {
      if (this.slot !== undefined) this.module.C_CloseAllSessions(this.slot);
    } catch {
      // Already closed by the token: nothing left to release.
    }
    try {
      this.module.C_Finalize();
    } catch {
      // Finalized already (another instance in this process shares the module).
    }
  }

  private storeMetadata(
    session: Handle,
    keyId: string,
    spec: KeySpec,
    purpose: string,
    publicKey: KeyObject,
  ): CustodyKeyInfo {
    const createdAt = this.options.now();
    const publicKeySpki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    const metadata: KeyMetadata = {
      spec,
      purpose,
      createdAt: createdAt.toISOString(),
      publicKeySpki: Buffer.from(publicKeySpki).toString('base64'),
    };
    try {
      this.module.C_CreateObject(session, [
        { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_DATA },
        { type: pkcs11.CKA_TOKEN, value: true },
        { type: pkcs11.CKA_PRIVATE, value: false },
        { type: pkcs11.CKA_MODIFIABLE, value: false },
        { type: pkcs11.CKA_APPLICATION, value: APPLICATION },
        { type: pkcs11.CKA_LABEL, value: keyId },
        { type: pkcs11.CKA_VALUE, value: Buffer.from(JSON.stringify(metadata), 'utf8') },
      ]);
    } catch (cause) {
      throw tokenError('C_CreateObject', cause);
    }
    return { keyId, spec, purpose, createdAt, publicKey, publicKeySpki };
  }

  private metadata(session: Handle, keyId: string): CustodyKeyInfo {
    const data = this.findObject(session, keyId, pkcs11.CKO_DATA);
    if (data === undefined) throw new KeyCustodyError('key-not-found', `no key with id ${keyId}`);
    const [value] = this.module.C_GetAttributeValue(session, data, [{ type: pkcs11.CKA_VALUE }]);
    let metadata: KeyMetadata;
    let publicKey: KeyObject;
    try {
      metadata = JSON.parse((value?.value as Buffer).toString('utf8')) as KeyMetadata;
      publicKey = createPublicKey({
        key: Buffer.from(metadata.publicKeySpki, 'base64'),
        format: 'der',
        type: 'spki',
      });
    } catch (cause) {
      throw new KeyCustodyError('sealed-record-corrupt', `token key ${keyId} has unreadable metadata`, {
        cause,
      });
    }
    if (!isKeySpec(metadata.spec) || keySpecOf(publicKey) !== metadata.spec) {
      throw new KeyCustodyError(
        'sealed-record-corrupt',
        `token key ${keyId} is not the ${metadata.spec} it claims`,
      );
    }
    return {
      keyId,
      spec: metadata.spec,
      purpose: metadata.purpose,
      createdAt: new Date(metadata.createdAt),
      publicKey,
      publicKeySpki: new Uint8Array(Buffer.from(metadata.publicKeySpki, 'base64')),
    };
  }

  private readPublicKey(session: Handle, handle: Handle, spec: KeySpec): KeyObject {
    if (spec === 'P-256' || spec === 'P-384') {
      const [point] = this.module.C_GetAttributeValue(session, handle, [{ type: pkcs11.CKA_EC_POINT }]);
      // CKA_EC_POINT is the DER OCTET STRING around the uncompressed point 04||x||y.
      const der = point?.value as Buffer;
      const size = spec === 'P-256' ? 32 : 48;
      const uncompressed = der.subarray(der.length - (1 + 2 * size));
      return createPublicKey({
        key: {
          kty: 'EC',
          crv: spec,
          x: uncompressed.subarray(1, 1 + size).toString('base64url'),
          y: uncompressed.subarray(1 + size).toString('base64url'),
        },
        format: 'jwk',
      });
    }
    const [modulus, exponent] = this.module.C_GetAttributeValue(session, handle, [
      { type: pkcs11.CKA_MODULUS },
      { type: pkcs11.CKA_PUBLIC_EXPONENT },
    ]);
    return createPublicKey({
      key: {
        kty: 'RSA',
        n: (modulus?.value as Buffer).toString('base64url'),
        e: (exponent?.value as Buffer).toString('base64url'),
      },
      format: 'jwk',
    });
  }

  private privateKeyHandle(session: Handle, keyId: string): Handle {
    const known = this.handles.get(keyId);
    if (known && known.generation === this.generation) return known.priv;
    const priv = this.findObject(session, keyId, pkcs11.CKO_PRIVATE_KEY);
    if (priv === undefined)
      throw new KeyCustodyError('key-not-found', `no private key with id ${keyId} in the token`);
    this.handles.set(keyId, { priv, generation: this.generation });
    return priv;
  }

  private findObject(session: Handle, keyId: string, objectClass: number): Handle | undefined {
    const template: Template = [
      { type: pkcs11.CKA_CLASS, value: objectClass },
      { type: pkcs11.CKA_LABEL, value: keyId },
    ];
    if (objectClass === pkcs11.CKO_DATA) template.push({ type: pkcs11.CKA_APPLICATION, value: APPLICATION });
    this.module.C_FindObjectsInit(session, template);
    try {
      return this.module.C_FindObjects(session) ?? undefined;
    } finally {
      this.module.C_FindObjectsFinal(session);
    }
  }

  /** Runs `work` on a pooled session; after a token reset, reconnects and runs it once more. */
  private async withSession<T>(work: (session: Handle) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const generation = this.generation;
      const session = await this.acquire();
      try {
        const result = await work(session);
        this.release(session, generation);
        return result;
      } catch (cause) {
        if (cause instanceof pkcs11.Pkcs11Error && SESSION_LOST.has(cause.code)) {
          this.reset(generation);
          if (attempt === 0) continue;
        } else if (cause instanceof KeyCustodyError && cause.code === 'token-timeout') {
          // The native call may still hold the session: never hand it out again, and let the next
          // waiter have a new one in its place (else waiters behind timed-out calls wait forever).
          if (generation === this.generation) {
            this.open--;
            const next = this.waiting.shift();
            if (next) this.acquire().then(next.resolve, next.reject);
          }
        } else {
          this.release(session, generation);
        }
        if (cause instanceof KeyCustodyError) throw cause;
        throw tokenError('token operation', cause);
      }
    }
  }

  private async acquire(): Promise<Handle> {
    if (this.closed) throw new KeyCustodyError('token-error', 'the PKCS#11 custody is closed');
    if (this.slot === undefined) {
      this.opening ??= this.connect().finally(() => (this.opening = undefined));
      await this.opening;
    }
    const ready = this.idle.pop();
    if (ready !== undefined) return ready;
    if (this.open < this.poolSize) {
      this.open++;
      try {
        return this.module.C_OpenSession(this.slot!, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
      } catch (cause) {
        this.open--;
        throw tokenError('C_OpenSession', cause);
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(session: Handle, generation: number): void {
    if (generation !== this.generation) return;
    const next = this.waiting.shift();
    if (next) next.resolve(session);
    else this.idle.push(session);
  }

  /** Forgets every session and handle of `generation`; the next acquire reconnects and logs in. */
  private reset(generation: number): void {
    if (generation !== this.generation) return;
    this.generation++;
    try {
      if (this.slot !== undefined) this.module.C_CloseAllSessions(this.slot);
    } catch {
      // The token may have dropped them already.
    }
    this.slot = undefined;
    this.idle = [];
    this.open = 0;
    this.handles.clear();
    const waiting = this.waiting;
    this.waiting = [];
    // Waiters get a session of the new generation through acquire, or its error (a failed
    // reconnect or login): never left waiting for a session that will not come.
    for (const waiter of waiting) this.acquire().then(waiter.resolve, waiter.reject);
  }

  private async connect(): Promise<void> {
    const slot = this.findSlot();
    let session: Handle;
    try {
      session = this.module.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
    } catch (cause) {
      throw tokenError('C_OpenSession', cause);
    }
    try {
      this.module.C_Login(session, pkcs11.CKU_USER, this.options.pin);
    } catch (cause) {
      if (!(cause instanceof pkcs11.Pkcs11Error && cause.code === pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
        this.module.C_CloseSession(session);
        if (cause instanceof pkcs11.Pkcs11Error && cause.code === pkcs11.CKR_PIN_INCORRECT) {
          throw new KeyCustodyError('token-error', 'the token refused the PIN (CKR_PIN_INCORRECT)', {
            cause,
          });
        }
        throw tokenError('C_Login', cause);
      }
    }
    this.slot = slot;
    this.open = 1;
    this.idle = [session];
  }

  private findSlot(): Handle {
    let slots: Handle[];
    try {
      slots = this.module.C_GetSlotList(true);
    } catch (cause) {
      throw tokenError('C_GetSlotList', cause);
    }
    for (const slot of slots) {
      if (this.options.slotId !== undefined) {
        if (slot.readUIntLE(0, Math.min(slot.length, 6)) === this.options.slotId) return slot;
        continue;
      }
      const label = this.module.C_GetTokenInfo(slot).label.trim();
      if (label === this.options.tokenLabel) return slot;
    }
    const wanted =
      this.options.tokenLabel !== undefined
        ? `label ${this.options.tokenLabel}`
        : `slot ${this.options.slotId}`;
    throw new KeyCustodyError('token-error', `no PKCS#11 token with ${wanted} in ${this.options.modulePath}`);
  }

  /** A callback-style pkcs11js call as a promise that gives up after the operation timeout. */
  private call<T>(name: string, start: (cb: (error: Error | null, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new KeyCustodyError('token-timeout', `${name} did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      try {
        start((error, value) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(value);
        });
      } catch (error) {
        clearTimeout(timer);
        reject(error);
      }
    });
  }
}

function keyObjectId(keyId: string): Buffer {
  return createHash('sha256').update(keyId, 'utf8').digest().subarray(0, 16);
}

function privateKeyAttributes(common: { id: Buffer; label: string }): Template {
  return [
    { type: pkcs11.CKA_TOKEN, value: true },
    { type: pkcs11.CKA_PRIVATE, value: true },
    { type: pkcs11.CKA_SENSITIVE, value: true },
    { type: pkcs11.CKA_EXTRACTABLE, value: false },
    { type: pkcs11.CKA_SIGN, value: true },
    { type: pkcs11.CKA_ID, value: common.id },
    { type: pkcs11.CKA_LABEL, value: common.label },
  ];
}

function generationTemplates(spec: KeySpec, common: { id: Buffer; label: string }) {
  const publicCommon: Template = [
    { type: pkcs11.CKA_TOKEN, value: true },
    { type: pkcs11.CKA_PRIVATE, value: false },
    { type: pkcs11.CKA_VERIFY, value: true },
    { type: pkcs11.CKA_ID, value: common.id },
    { type: pkcs11.CKA_LABEL, value: common.label },
  ];
  if (spec === 'P-256' || spec === 'P-384') {
    return {
      mechanism: pkcs11.CKM_EC_KEY_PAIR_GEN,
      publicTemplate: [...publicCommon, { type: pkcs11.CKA_EC_PARAMS, value: EC_PARAMS[spec] }],
      privateTemplate: privateKeyAttributes(common),
    };
  }
  return {
    mechanism: pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN,
    publicTemplate: [
      ...publicCommon,
      { type: pkcs11.CKA_ENCRYPT, value: true },
      { type: pkcs11.CKA_MODULUS_BITS, value: spec === 'RSA-2048' ? 2048 : 3072 },
      { type: pkcs11.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
    ],
    privateTemplate: [...privateKeyAttributes(common), { type: pkcs11.CKA_DECRYPT, value: true }],
  };
}

function signingMechanism(
  alg: SigAlg,
  spec: KeySpec,
): { mechanism: Mechanism; input: (data: Uint8Array) => Buffer; outputLength: number } {
  const rsaBytes = spec === 'RSA-3072' ? 384 : 256;
  const digest = (name: string) => (data: Uint8Array) => createHash(name).update(data).digest();
  const whole = (data: Uint8Array) => Buffer.from(data);
  switch (alg) {
    case SigAlg.ES256:
      return { mechanism: { mechanism: pkcs11.CKM_ECDSA }, input: digest('sha256'), outputLength: 64 };
    case SigAlg.ES384:
      return { mechanism: { mechanism: pkcs11.CKM_ECDSA }, input: digest('sha384'), outputLength: 96 };
    case SigAlg.RS256:
      return { mechanism: { mechanism: pkcs11.CKM_SHA256_RSA_PKCS }, input: whole, outputLength: rsaBytes };
    case SigAlg.RS384:
      return { mechanism: { mechanism: pkcs11.CKM_SHA384_RSA_PKCS }, input: whole, outputLength: rsaBytes };
    case SigAlg.PS256:
    case SigAlg.PS384: {
      const sha384 = alg === SigAlg.PS384;
      return {
        mechanism: {
          mechanism: sha384 ? pkcs11.CKM_SHA384_RSA_PKCS_PSS : pkcs11.CKM_SHA256_RSA_PKCS_PSS,
          // Salt as long as the hash, as signWithAlg and WebCrypto issuance use.
          parameter: {
            type: pkcs11.CK_PARAMS_RSA_PSS,
            hashAlg: sha384 ? pkcs11.CKM_SHA384 : pkcs11.CKM_SHA256,
            mgf: sha384 ? pkcs11.CKG_MGF1_SHA384 : pkcs11.CKG_MGF1_SHA256,
            saltLen: sha384 ? 48 : 32,
          } as RsaPSS,
        },
        input: whole,
        outputLength: rsaBytes,
      };
    }
    default:
      throw new KeyCustodyError('unsupported-algorithm', `no PKCS#11 mechanism for COSE alg ${alg}`);
  }
}

function tokenError(operation: string, cause: unknown): KeyCustodyError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new KeyCustodyError('token-error', `PKCS#11 ${operation} failed: ${detail}`, { cause });
}
