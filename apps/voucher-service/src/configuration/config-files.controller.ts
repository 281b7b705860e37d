import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { CurrentPrincipal, CurrentTenantId, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG, parseRequest } from '@ztp/platform';
import { z } from 'zod';
import { send } from '../vouchers/http/send';
import { ConfigFilesService, configFileView, type ConfigFileView } from './config-files.service';
import { readRawBody } from './request-body';

const uploadQuerySchema = z.strictObject({
  name: z.string().min(1).max(200).describe('A label for people; the path on the device comes from the plan'),
});

@ApiTags('onboarding')
@Controller('v1/onboarding/files')
export class ConfigFilesController {
  constructor(
    private readonly files: ConfigFilesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary:
      'Adds a file to deliver with fdo.download (the request body is the content, up to MAX_BODY_BYTES)',
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: 'name', required: true })
  @ApiCreatedResponse({ description: 'The file (metadata; SHA-384 as hex)' })
  async create(
    @Query() query: Record<string, string>,
    @Req() request: IncomingMessage,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ConfigFileView> {
    const { name } = parseRequest(uploadQuerySchema, query, 'query');
    const content = await readRawBody(request, this.config.http.maxBodyBytes);
    return configFileView(await this.files.create(tenantIdOf(principal), name, content, principal.actor));
  }

  @Get()
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The owner's files, oldest first" })
  @ApiOkResponse({ description: 'Files (metadata)' })
  async list(@CurrentTenantId() tenantId: string): Promise<ConfigFileView[]> {
    return (await this.files.list(tenantId)).map(configFileView);
  }

  @Get(':id')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'One file (metadata)' })
  @ApiOkResponse({ description: 'The file' })
  async get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<ConfigFileView> {
    return configFileView(await this.files.get(tenantId, id));
  }

  @Get(':id/content')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'The content of a file' })
  @ApiProduces('application/octet-stream')
  async content(
    @CurrentTenantId() tenantId: string,
    @Param('id') id: string,
    @Res() res: ServerResponse,
  ): Promise<void> {
    send(res, 'application/octet-stream', (await this.files.get(tenantId, id, true)).content);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Removes a file no plan delivers (409 while one does)' })
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.files.delete(tenantIdOf(principal), id, principal.actor);
  }
}
