import { CipherSuite } from '@ztp/protocol';
import { describe, expect, it } from 'vitest';
import { etmKeySizesFor, otherEtmKeySizes } from './etm-key-sizes';

describe('etmKeySizesFor', () => {
  it("takes the device's record, else the owner's setting, else the spec's; nothing for AEAD suites", () => {
    const cbc = CipherSuite.AES128_CBC_HMAC256;
    expect(etmKeySizesFor(cbc, 'go-fdo', 'spec')).toBe('go-fdo');
    expect(etmKeySizesFor(cbc, 'spec', 'go-fdo')).toBe('spec');
    expect(etmKeySizesFor(cbc, null, 'go-fdo')).toBe('go-fdo');
    expect(etmKeySizesFor(CipherSuite.AES256_CTR_HMAC384, null, undefined)).toBe('spec');
    expect(etmKeySizesFor(CipherSuite.A128GCM, 'go-fdo', 'go-fdo')).toBeUndefined();
    expect(etmKeySizesFor(CipherSuite.AES_CCM_16_128_128, null, undefined)).toBeUndefined();
  });

  it('the other convention', () => {
    expect(otherEtmKeySizes('spec')).toBe('go-fdo');
    expect(otherEtmKeySizes('go-fdo')).toBe('spec');
  });
});
