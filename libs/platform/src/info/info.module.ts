import { Controller, Get, Inject, Module } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { type Repository } from 'typeorm';
import { InstallationEntity } from '@ztp/persistence';
import { type AppDescriptor } from '../app/app-descriptor';
import { APP_DESCRIPTOR } from '../tokens';
import { PRODUCT_VERSION } from '../version';

class AppInfo {
  @ApiProperty({ example: 'rendezvous' })
  app!: string;
  @ApiProperty({ example: '0.1.0' })
  version!: string;
  @ApiProperty({
    format: 'uuid',
    description: 'Identifies the database; equal on every app of one installation',
  })
  installationId!: string;
}

@ApiTags('platform')
@Controller('info')
class InfoController {
  constructor(
    @Inject(APP_DESCRIPTOR) private readonly descriptor: AppDescriptor,
    @InjectRepository(InstallationEntity) private readonly installations: Repository<InstallationEntity>,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Which app and version answers, on which installation' })
  @ApiOkResponse({ type: AppInfo })
  async info(): Promise<AppInfo> {
    const installation = await this.installations.findOneByOrFail({ id: 1 });
    return {
      app: this.descriptor.name,
      version: PRODUCT_VERSION,
      installationId: installation.installationId,
    };
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([InstallationEntity])],
  controllers: [InfoController],
})
export class InfoModule {}
