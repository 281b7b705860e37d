import { KeyCustodyError } from '../errors';

const KEY_ID = /^[\x21-\x7e]{1,200}$/;
const PURPOSE = /^[\x20-\x7e]{1,100}$/;

/** The key id and purpose rules every custody enforces, so a key can move between them unchanged. */
export function checkKeyIdentity(keyId: string, purpose: string): void {
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw new KeyCustodyError(
      'invalid-key-id',
      'key id must be 1..200 printable ASCII characters without spaces',
    );
  }
  if (typeof purpose !== 'string' || !PURPOSE.test(purpose)) {
    throw new KeyCustodyError('invalid-purpose', 'purpose must be 1..100 printable ASCII characters');
  }
}
