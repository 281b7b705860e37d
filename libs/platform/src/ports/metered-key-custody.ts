import { type KeyObject } from 'node:crypto';
import { type CustodyKeyInfo, type KeyCustody, type KeySpec, type RsaOaepParams } from '@ztp/pki';
import { type SigAlg, type Signer } from '@ztp/protocol';
import { Counter } from 'prom-client';

/**
 * Key custody operations of this process (one custody per process, shared by the apps it hosts),
 * registered into each app's registry by MetricsModule: `operation` is generate, import, describe,
 * public-key, signer, sign, decrypt or destroy; `result` ok or the KeyCustodyError code (error).
 */
export const KEY_CUSTODY_OPERATIONS = new Counter({
  name: 'ztp_key_custody_operations_total',
  help: 'Key custody operations by operation (generate, import, sign, decrypt, destroy...) and result (ok, or the custody error code)',
  labelNames: ['operation', 'result'],
  registers: [],
});

async function counted<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    const value = await run();
    KEY_CUSTODY_OPERATIONS.inc({ operation, result: 'ok' });
    return value;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    KEY_CUSTODY_OPERATIONS.inc({ operation, result: typeof code === 'string' ? code : 'error' });
    throw err;
  }
}

/** Counts every call into `inner` (and every signature its signers make) in KEY_CUSTODY_OPERATIONS. */
export class MeteredKeyCustody implements KeyCustody {
  constructor(private readonly inner: KeyCustody) {}

  generateKey(request: { keyId: string; spec: KeySpec; purpose: string }): Promise<CustodyKeyInfo> {
    return counted('generate', () => this.inner.generateKey(request));
  }

  importKey(request: { keyId: string; privateKey: KeyObject; purpose: string }): Promise<CustodyKeyInfo> {
    return counted('import', () => this.inner.importKey(request));
  }

  describeKey(keyId: string): Promise<CustodyKeyInfo> {
    return counted('describe', () => this.inner.describeKey(keyId));
  }

  publicKey(keyId: string): Promise<KeyObject> {
    return counted('public-key', () => this.inner.publicKey(keyId));
  }

  async signer(keyId: string, alg?: SigAlg): Promise<Signer> {
    const signer = await counted('signer', () => this.inner.signer(keyId, alg));
    return {
      alg: signer.alg,
      publicKey: signer.publicKey,
      sign: (data) => counted('sign', () => signer.sign(data)),
    };
  }

  decrypt(keyId: string, ciphertext: Uint8Array, params: RsaOaepParams): Promise<Uint8Array> {
    return counted('decrypt', () => this.inner.decrypt(keyId, ciphertext, params));
  }

  destroyKey(keyId: string): Promise<void> {
    return counted('destroy', () => this.inner.destroyKey(keyId));
  }
}
