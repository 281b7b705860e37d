import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { type ServerResponse } from 'node:http';
import { CurrentPrincipal, CurrentTenantId, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { derToPem, KEY_SPECS } from '@ztp/pki';
import { z } from 'zod';
import { send } from '../vouchers/http/send';
import {
  deviceCaView,
  type DeviceCaView,
  OwnerCaService,
  ownerCaView,
  type OwnerCaView,
} from './owner-ca.service';
import { openApiSchema, parseRequest } from '@ztp/platform';

const createCaSchema = z.strictObject({
  spec: z.enum(KEY_SPECS).default('P-256'),
  commonName: z.string().min(1).max(64).optional(),
  validityDays: z.number().int().min(1).max(36_500).default(3650),
  allowServerKeygen: z
    .boolean()
    .default(false)
    .describe('fdo.csr serverkeygen: the owner generates device keys and sends them through the tunnel'),
});

const updateCaSchema = z.strictObject({ allowServerKeygen: z.boolean() });

const requestCaSchema = z.strictObject({
  spec: z.enum(KEY_SPECS).default('P-256'),
  commonName: z.string().min(1).max(64),
  organization: z.string().min(1).max(64).optional(),
});

const importCaSchema = z.strictObject({
  chainPem: z
    .string()
    .min(1)
    .max(256 * 1024)
    .describe('the CA certificate the corporate root signed, then the chain above it up to that root (PEM)'),
});

const deviceCaSchema = z.strictObject({
  name: z.string().min(1).max(100),
  certificatePem: z
    .string()
    .min(1)
    .max(64 * 1024),
});

@ApiTags('onboarding')
@Controller('v1/onboarding')
export class OwnerCaController {
  constructor(private readonly cas: OwnerCaService) {}

  @Post('ca')
  @HttpCode(200)
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: "Creates the owner's CA for operational certificates (fdo.csr), once",
    description:
      'The key is generated in key custody. A later call returns the existing CA unchanged; TO2 also ' +
      'creates a P-256 CA on first use if none exists.',
  })
  @ApiBody({ schema: openApiSchema(createCaSchema) })
  @ApiOkResponse({ description: 'The owner CA' })
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<OwnerCaView> {
    const input = parseRequest(createCaSchema, body);
    return ownerCaView((await this.cas.create(tenantIdOf(principal), input, principal.actor)).ca);
  }

  @Post('ca/csr')
  @HttpCode(200)
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary:
      'Bring your own issuing CA: makes its key in custody and returns the CSR for your corporate root',
    description:
      'Only while the owner has no CA. Sign the CSR as a CA certificate (basicConstraints cA, keyCertSign) ' +
      'and import it with POST /v1/onboarding/ca/import; a new request replaces a pending one.',
  })
  @ApiBody({ schema: openApiSchema(requestCaSchema) })
  @ApiOkResponse({ description: 'The CSR (PEM)' })
  async requestCa(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ csrPem: string }> {
    return this.cas.requestCa(tenantIdOf(principal), parseRequest(requestCaSchema, body), principal.actor);
  }

  @Post('ca/import')
  @HttpCode(200)
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: 'Imports the issuing CA certificate signed by your corporate root (with the chain up to it)',
    description:
      'It must be for the key of the pending CSR, a CA, valid now, and chain to the last certificate given.',
  })
  @ApiBody({ schema: openApiSchema(importCaSchema) })
  @ApiOkResponse({ description: 'The owner CA' })
  async importCa(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<OwnerCaView> {
    const { chainPem } = parseRequest(importCaSchema, body);
    return ownerCaView(await this.cas.importCa(tenantIdOf(principal), chainPem, principal.actor));
  }

  @Get('ca')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The owner's CA" })
  @ApiOkResponse({ description: 'The owner CA' })
  async get(@CurrentTenantId() tenantId: string): Promise<OwnerCaView> {
    return ownerCaView(await this.cas.get(tenantId));
  }

  @Get('ca/certificate')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The owner CA's certificate (PEM): what operational certificates chain to" })
  @ApiProduces('application/x-pem-file')
  async certificate(@CurrentTenantId() tenantId: string, @Res() res: ServerResponse): Promise<void> {
    send(res, 'application/x-pem-file', derToPem((await this.cas.get(tenantId)).certificate));
  }

  @Patch('ca')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Allows or forbids fdo.csr serverkeygen' })
  @ApiBody({ schema: openApiSchema(updateCaSchema) })
  @ApiOkResponse({ description: 'The owner CA' })
  async update(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<OwnerCaView> {
    const input = parseRequest(updateCaSchema, body);
    return ownerCaView(
      await this.cas.setServerKeygen(tenantIdOf(principal), input.allowServerKeygen, principal.actor),
    );
  }

  @Post('device-cas')
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: 'Trusts a manufacturer device CA',
    description:
      'With at least one trusted device CA, TO2 refuses (error 101) devices whose voucher certificate chain ' +
      'does not validate against one of them; with none, any chain is accepted.',
  })
  @ApiBody({ schema: openApiSchema(deviceCaSchema) })
  @ApiCreatedResponse({ description: 'The trusted device CA' })
  async addDeviceCa(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<DeviceCaView> {
    const input = parseRequest(deviceCaSchema, body);
    return deviceCaView(await this.cas.addDeviceCa(tenantIdOf(principal), input, principal.actor));
  }

  @Get('device-cas')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'The device CAs the owner trusts' })
  @ApiOkResponse({ description: 'Trusted device CAs' })
  async deviceCas(@CurrentTenantId() tenantId: string): Promise<DeviceCaView[]> {
    return (await this.cas.deviceCas(tenantId)).map(deviceCaView);
  }

  @Delete('device-cas/:id')
  @HttpCode(204)
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Stops trusting a device CA' })
  async removeDeviceCa(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.cas.removeDeviceCa(tenantIdOf(principal), id, principal.actor);
  }
}
