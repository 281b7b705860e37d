import { Injectable } from '@nestjs/common';
import { type CipherSuite, type EtmKeySizes, tunnelCipher } from '@ztp/protocol';
import { DataSource } from 'typeorm';
import { hotQuery } from '../../support/hot-sql';

/**
 * Which AES-CBC/CTR key-size convention (EtmKeySizes) the owner uses with a device.
 *
 * The owner encrypts SetupDevice (65) before it receives anything encrypted, and nothing a device
 * sends before it (60, 62, 64) tells a go-fdo device from one that follows the spec; a go-fdo client
 * that cannot open 65 sends no error either (its errorMsg passes a pointer that its transport does
 * not recognise as an ErrorMessage) and simply stops. So the convention is learned per device
 * (`device.etm_key_sizes`): each CBC/CTR 65 records the *other* convention as the device's next one,
 * and the DeviceServiceInfoReady (66) that authenticates records the one that worked. A device
 * that gave up after 65 gets the other sizes on its next attempt; once one worked it is used again.
 * AEAD suites never touch any of this.
 */
@Injectable()
export class EtmKeySizesLedger {
  constructor(private readonly dataSource: DataSource) {}

  /** After sending 65 with `used`: if the device never answers, its next session tries the other. */
  async sent(deviceId: string, used: EtmKeySizes): Promise<void> {
    await hotQuery(this.dataSource, `UPDATE device SET etm_key_sizes = $2 WHERE id = $1`, [
      deviceId,
      otherEtmKeySizes(used),
    ]);
  }

  /** A 66 opened with `used`: the device speaks it. */
  async confirmed(deviceId: string, used: EtmKeySizes): Promise<void> {
    await hotQuery(
      this.dataSource,
      `UPDATE device SET etm_key_sizes = $2 WHERE id = $1 AND etm_key_sizes IS DISTINCT FROM $2`,
      [deviceId, used],
    );
  }
}

export function otherEtmKeySizes(sizes: EtmKeySizes): EtmKeySizes {
  return sizes === 'spec' ? 'go-fdo' : 'spec';
}

/**
 * The convention for a session: undefined for AEAD suites; else what the device's record says,
 * else the owner's setting, else the spec's.
 */
export function etmKeySizesFor(
  cipher: CipherSuite,
  device: EtmKeySizes | null,
  ownerSetting: EtmKeySizes | undefined,
): EtmKeySizes | undefined {
  if (tunnelCipher(cipher).kind === 'aead') return undefined;
  return device ?? ownerSetting ?? 'spec';
}
