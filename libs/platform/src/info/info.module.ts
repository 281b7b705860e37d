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

class ServiceLinks {
  @ApiProperty({ example: '/docs', description: 'Interactive API documentation (Swagger UI)' })
  docs!: string;
  @ApiProperty({ example: '/docs-json', description: 'The OpenAPI document' })
  openapi!: string;
  @ApiProperty({ example: '/health' })
  health!: string;
  @ApiProperty({ example: '/metrics' })
  metrics!: string;
  @ApiProperty({ example: '/info' })
  info!: string;
}

class ServiceIndex {
  @ApiProperty({ example: 'rendezvous' })
  service!: string;
  @ApiProperty({ example: 'ZTP rendezvous' })
  title!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ example: '0.1.0' })
  version!: string;
  @ApiProperty({ type: ServiceLinks })
  links!: ServiceLinks;
}

/** `GET /`: whoever opens the bare address learns which service answers and where its docs are. */
@ApiTags('platform')
@Controller()
class ServiceIndexController {
  constructor(@Inject(APP_DESCRIPTOR) private readonly descriptor: AppDescriptor) {}

  @Get()
  @ApiOperation({ summary: 'Which service answers here, and links to its documentation' })
  @ApiOkResponse({ type: ServiceIndex })
  index(): ServiceIndex {
    return {
      service: this.descriptor.name,
      title: this.descriptor.title,
      description: this.descriptor.description,
      version: PRODUCT_VERSION,
      links: { docs: '/docs', openapi: '/docs-json', health: '/health', metrics: '/metrics', info: '/info' },
    };
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([InstallationEntity])],
  controllers: [ServiceIndexController, InfoController],
})
export class InfoModule {}
