import { X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock, FdoProtocolError } from '@ztp/platform';
import { type OwnershipVoucher, verifyDeviceChainTrust, VoucherError } from '@ztp/protocol';
import { ExpiringCache } from '@ztp/persistence';
import { DataSource } from 'typeorm';

/**
 * The manufacturer device CAs each owner trusts (owner_device_ca). An owner with none accepts any
 * device certificate chain: the voucher's signed entries already tie the device to its
 * manufacturer's key, and many owners import vouchers from manufacturers whose device CA they were
 * never given (go-fdo issue 238). Changes apply within 30 seconds on every replica.
 */
@Injectable()
export class DeviceTrust {
  private readonly anchors = new ExpiringCache<string, X509Certificate[]>(1024, 30_000);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Refuses (error 101) a device whose chain does not validate against the owner's CAs. */
  async check(ownerTenantId: string, voucher: OwnershipVoucher): Promise<void> {
    const anchors = await this.anchors.getOrLoad(ownerTenantId, async () => {
      const rows: { certificate: Buffer }[] = await this.dataSource.query(
        `SELECT certificate FROM owner_device_ca WHERE owner_tenant_id = $1`,
        [ownerTenantId],
      );
      return rows.map((row) => new X509Certificate(row.certificate));
    });
    if (anchors.length === 0) return;
    try {
      verifyDeviceChainTrust(voucher, anchors, this.clock.now());
    } catch (err) {
      if (err instanceof VoucherError)
        throw FdoProtocolError.invalid(`device not trusted by its owner: ${err.message}`);
      throw err;
    }
  }
}
