import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, CurrentTenantId, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { CONFIGURATION_HANDLINGS } from '@ztp/persistence';
import { z } from 'zod';
import {
  base64Field,
  certificatesFromPem,
  openApiSchema,
  parseRequest,
  toBytes,
  uuidOr404,
} from './sztp-http';
import { type ProfileInput, SztpOwnerService } from './sztp-owner.service';
import { deviceView, ownerView, profileView, progressEventView } from './sztp-views';

const ownerSchema = z.strictObject({
  ldevidValidityDays: z.number().int().min(1).max(3650).default(365),
});

const HOST = /^(?=.{1,253}$)[A-Za-z0-9.:[\]-]+$/;

const bootstrapServersSchema = z.strictObject({
  bootstrapServers: z
    .array(
      z.strictObject({
        address: z.string().regex(HOST, 'a host name or IP address'),
        port: z.number().int().min(1).max(65535).optional().describe('Default 443'),
        trustAnchors: z
          .string()
          .optional()
          .describe("PEM: certificates authenticating the server's TLS certificate"),
      }),
    )
    .max(16),
});

const profileSchema = z.strictObject({
  name: z.string().min(1).max(100),
  isDefault: z
    .boolean()
    .default(false)
    .describe("Used for the tenant's devices without a profile of their own"),
  bootImage: z
    .strictObject({
      osName: z.string().min(1).max(200).optional(),
      osVersion: z.string().min(1).max(200).optional(),
      downloadUris: z.array(z.url()).min(1).max(8),
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/)
        .transform((hex) => hex.toLowerCase())
        .optional()
        .describe('SHA-256 of the image, hex: the device checks it before installing'),
    })
    .optional(),
  preConfigurationScript: base64Field('Script run before the configuration is applied').optional(),
  configuration: base64Field('Configuration (e.g. RFC 7951 JSON)').optional(),
  configurationHandling: z.enum(CONFIGURATION_HANDLINGS).optional(),
  postConfigurationScript: base64Field('Script run after the configuration is applied').optional(),
  issueLdevid: z
    .boolean()
    .default(false)
    .describe('RFC 9646: ask devices offering csr-support for a CSR; deliver an LDevID in the configuration'),
});

const assignSchema = z.strictObject({ onboardingProfileId: z.uuid().nullable() });

function profileInput(input: z.output<typeof profileSchema>): ProfileInput {
  const bytes = (value: string | undefined) => (value === undefined ? null : toBytes(value));
  return {
    name: input.name,
    isDefault: input.isDefault,
    bootImage: input.bootImage ?? null,
    preConfigurationScript: bytes(input.preConfigurationScript),
    configuration: bytes(input.configuration),
    configurationHandling: input.configurationHandling ?? null,
    postConfigurationScript: bytes(input.postConfigurationScript),
    issueLdevid: input.issueLdevid,
  };
}

@ApiTags('sztp')
@Controller('v1/sztp')
export class SztpOwnerController {
  constructor(private readonly owners: SztpOwnerService) {}

  @Post('owner')
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: 'Sets up the SZTP owner identity: the owner CA (pinned by vouchers) and an owner certificate',
  })
  @ApiBody({ schema: openApiSchema(ownerSchema) })
  @ApiCreatedResponse({ description: 'The owner identity' })
  async setUp(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(ownerSchema, body);
    return ownerView(await this.owners.setUp(tenantIdOf(principal), input, principal.actor));
  }

  @Get('owner')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The tenant's SZTP owner identity and bootstrap servers" })
  @ApiOkResponse({ description: 'The owner identity' })
  async owner(@CurrentTenantId() tenantId: string) {
    return ownerView(await this.owners.owner(tenantId));
  }

  @Put('owner/bootstrap-servers')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Where the redirect server sends the tenant’s devices (with TLS trust anchors)' })
  @ApiBody({ schema: openApiSchema(bootstrapServersSchema) })
  @ApiOkResponse({ description: 'The owner identity' })
  async setBootstrapServers(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(bootstrapServersSchema, body);
    const servers = input.bootstrapServers.map((server, i) => ({
      address: server.address,
      port: server.port,
      trustAnchors: server.trustAnchors
        ? certificatesFromPem(server.trustAnchors, `bootstrapServers.${i}.trustAnchors`)
        : [],
    }));
    return ownerView(await this.owners.setBootstrapServers(tenantIdOf(principal), servers, principal.actor));
  }

  @Post('onboarding-profiles')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Creates an onboarding profile (boot image, scripts, configuration, LDevID)' })
  @ApiBody({ schema: openApiSchema(profileSchema) })
  @ApiCreatedResponse({ description: 'The profile' })
  async createProfile(@Body() body: unknown, @CurrentTenantId() tenantId: string) {
    return profileView(
      await this.owners.createProfile(tenantId, profileInput(parseRequest(profileSchema, body))),
    );
  }

  @Get('onboarding-profiles')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The tenant's onboarding profiles" })
  @ApiOkResponse({ description: 'Profiles' })
  async listProfiles(@CurrentTenantId() tenantId: string) {
    return (await this.owners.listProfiles(tenantId)).map(profileView);
  }

  @Put('onboarding-profiles/:id')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Replaces an onboarding profile' })
  @ApiBody({ schema: openApiSchema(profileSchema) })
  @ApiOkResponse({ description: 'The profile' })
  async replaceProfile(@Param('id') id: string, @Body() body: unknown, @CurrentTenantId() tenantId: string) {
    const profileId = uuidOr404(id, 'onboarding profile');
    return profileView(
      await this.owners.replaceProfile(tenantId, profileId, profileInput(parseRequest(profileSchema, body))),
    );
  }

  @Delete('onboarding-profiles/:id')
  @HttpCode(204)
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Deletes an onboarding profile (its devices fall back to the default one)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async deleteProfile(@Param('id') id: string, @CurrentTenantId() tenantId: string): Promise<void> {
    await this.owners.deleteProfile(tenantId, uuidOr404(id, 'onboarding profile'));
  }

  @Get('devices')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'SZTP devices the tenant holds a voucher for, with their bootstrapping state' })
  @ApiOkResponse({ description: 'Devices' })
  async heldDevices(@CurrentTenantId() tenantId: string) {
    return (await this.owners.heldDevices(tenantId)).map(deviceView);
  }

  @Get('devices/:id')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'One held SZTP device' })
  @ApiOkResponse({ description: 'The device' })
  async heldDevice(@Param('id') id: string, @CurrentTenantId() tenantId: string) {
    return deviceView(await this.owners.heldDevice(tenantId, uuidOr404(id, 'SZTP device')));
  }

  @Put('devices/:id/onboarding-profile')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "Chooses the device's onboarding profile (null: the default one)" })
  @ApiBody({ schema: openApiSchema(assignSchema) })
  @ApiOkResponse({ description: 'The device' })
  async assignProfile(@Param('id') id: string, @Body() body: unknown, @CurrentTenantId() tenantId: string) {
    const input = parseRequest(assignSchema, body);
    return deviceView(
      await this.owners.assignProfile(tenantId, uuidOr404(id, 'SZTP device'), input.onboardingProfileId),
    );
  }

  @Get('devices/:id/progress')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: "The device's bootstrapping log (report-progress), oldest first" })
  @ApiOkResponse({ description: 'Progress reports' })
  async progress(@Param('id') id: string, @CurrentTenantId() tenantId: string) {
    return (await this.owners.progress(tenantId, uuidOr404(id, 'SZTP device'))).map(progressEventView);
  }
}
