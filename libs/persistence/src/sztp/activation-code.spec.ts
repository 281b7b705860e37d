import { describe, expect, it } from 'vitest';
import { hashActivationCode, verifyActivationCode } from './activation-code';

describe('activation codes', () => {
  it('are stored as salted scrypt hashes that verify only the right code', async () => {
    const first = await hashActivationCode('my-secret');
    const second = await hashActivationCode('my-secret');
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(first).not.toContain('my-secret');
    expect(first).not.toBe(second);
    expect(await verifyActivationCode('my-secret', first)).toBe(true);
    expect(await verifyActivationCode('my-secret!', first)).toBe(false);
    expect(await verifyActivationCode('', first)).toBe(false);
  });

  it('treat an unknown stored format as no match, and refuse empty codes when hashing', async () => {
    expect(await verifyActivationCode('x', 'plain:x')).toBe(false);
    await expect(hashActivationCode('')).rejects.toThrow(RangeError);
  });
});
