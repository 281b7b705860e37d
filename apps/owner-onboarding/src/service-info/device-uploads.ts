import { Inject, Injectable } from '@nestjs/common';
import { DeviceUploadEntity } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { DataSource } from 'typeorm';
import { type UploadSinkPort } from './modules/owner-module';

/** fdo.upload content, stored per device as it completes. */
@Injectable()
export class DeviceUploads implements UploadSinkPort {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async store(upload: Parameters<UploadSinkPort['store']>[0]): Promise<void> {
    await this.dataSource.getRepository(DeviceUploadEntity).insert({
      ownerTenantId: upload.context.ownerTenantId,
      deviceId: upload.context.deviceId,
      guid: upload.context.guidHex,
      name: upload.name,
      size: upload.content.length,
      sha384: Buffer.from(upload.sha384),
      content: Buffer.from(upload.content),
      receivedAt: this.clock.now(),
    });
  }
}
