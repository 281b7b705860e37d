import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Activation codes (the HTTP Basic password of the SZTP fallback) are kept as scrypt hashes:
 * `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`. They are chosen by people and printed on labels, so a
 * slow hash it is; the device identifier caches successful checks so a busy device does not pay it
 * on every request.
 */
const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_CODE_LENGTH = 256;

function derive(code: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(code, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashActivationCode(code: string): Promise<string> {
  if (code.length === 0 || code.length > MAX_CODE_LENGTH)
    throw new RangeError(`an activation code has 1..${MAX_CODE_LENGTH} characters`);
  const salt = randomBytes(16);
  const hash = await derive(code, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** False for a wrong code and for a stored value that is not a hash this function understands. */
export async function verifyActivationCode(code: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  if (code.length === 0 || code.length > MAX_CODE_LENGTH) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(code, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
