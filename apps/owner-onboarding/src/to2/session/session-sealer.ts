import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO = 'ztp/owner-onboarding/to2-session-state/v1';

/** The stored state of a session did not open: tampered with, or sealed under another master key. */
export class SessionStateError extends Error {
  override readonly name = 'SessionStateError';
}

/**
 * Seals TO2 session state at rest: it holds key-exchange secrets and tunnel keys. AES-256-GCM under
 * a key derived (HKDF-SHA256) from the key-custody master key, with the session's token hash as
 * associated data so a state cannot be moved to another session. Layout: version(1) || iv(12) ||
 * ciphertext || tag(16).
 */
export class SessionSealer {
  private readonly key: Buffer;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), INFO, 32));
  }

  seal(plaintext: Uint8Array, associatedData: Uint8Array): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(associatedData);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT), iv, body, cipher.getAuthTag()]);
  }

  open(sealed: Uint8Array, associatedData: Uint8Array): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT)
      throw new SessionStateError('sealed session state has an unknown format');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (cause) {
      throw new SessionStateError('sealed session state does not authenticate', { cause });
    }
  }
}
