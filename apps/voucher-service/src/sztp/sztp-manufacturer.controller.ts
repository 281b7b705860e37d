import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, CurrentTenantId, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { SERIAL_NUMBER_SOURCES, SZTP_OUTPUT_PROFILES } from '@ztp/persistence';
import { z } from 'zod';
import { certificatesFromPem, openApiSchema, parseRequest, uuidOr404 } from './sztp-http';
import { SztpManufacturerService } from './sztp-manufacturer.service';
import { deviceTypeView, deviceView, masaView } from './sztp-views';

const serialNumber = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'printable ASCII');

const deviceTypeSchema = z.strictObject({
  name: z.string().min(1).max(100),
  trustAnchors: z.string().min(1).describe('PEM: the CA certificate(s) IDevIDs of this type chain to'),
  serialNumber: z
    .strictObject({
      source: z.enum(SERIAL_NUMBER_SOURCES),
      pattern: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('Regular expression; capture group 1 is the serial'),
    })
    .default({ source: 'subject-serial-number' }),
  outputProfile: z
    .enum(SZTP_OUTPUT_PROFILES)
    .default('signed')
    .describe('signed: RFC 8572 signed data; lab: unsigned minimal output for OPI sztp-agent style clients'),
  activationCodeFallback: z
    .boolean()
    .default(false)
    .describe('Accept HTTP Basic serial number + activation code'),
});

const deviceSchema = z.strictObject({
  deviceTypeId: z.uuid(),
  serialNumber,
  activationCode: z.string().min(8).max(256).optional().describe('Stored as an scrypt hash'),
});

/** A generated MASA's name goes into its certificates' common names: printable, no control characters. */
const masaName = z
  .string()
  .min(1)
  .max(60)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

const masaSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('generate'),
    name: masaName,
    validityDays: z.number().int().min(1).max(36_500).default(3650),
  }),
  z.strictObject({
    kind: z.literal('external'),
    name: masaName,
    certificate: z.string().min(1).describe('PEM of the MASA signing certificate'),
    chain: z.string().optional().describe('PEM of intermediates between it and the trust anchors'),
    trustAnchors: z.string().optional().describe('PEM; when absent the signing certificate itself is pinned'),
  }),
]);

@ApiTags('sztp')
@Controller('v1/sztp')
export class SztpManufacturerController {
  constructor(private readonly manufacturer: SztpManufacturerService) {}

  @Post('device-types')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({
    summary: 'Creates an SZTP device type: IDevID trust anchors, serial number rule, output profile',
  })
  @ApiBody({ schema: openApiSchema(deviceTypeSchema) })
  @ApiCreatedResponse({ description: 'The device type' })
  async createDeviceType(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(deviceTypeSchema, body);
    const trustAnchors = certificatesFromPem(input.trustAnchors, 'trustAnchors');
    return deviceTypeView(
      await this.manufacturer.createDeviceType(
        tenantIdOf(principal),
        { ...input, trustAnchors },
        principal.actor,
      ),
    );
  }

  @Get('device-types')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({ summary: "The tenant's SZTP device types" })
  @ApiOkResponse({ description: 'Device types' })
  async listDeviceTypes(@CurrentTenantId() tenantId: string) {
    return (await this.manufacturer.listDeviceTypes(tenantId)).map(deviceTypeView);
  }

  @Post('devices')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({ summary: 'Registers an SZTP device of one of the tenant’s device types' })
  @ApiBody({ schema: openApiSchema(deviceSchema) })
  @ApiCreatedResponse({ description: 'The device' })
  async registerDevice(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(deviceSchema, body);
    return deviceView(await this.manufacturer.registerDevice(tenantIdOf(principal), input, principal.actor));
  }

  @Get('manufactured-devices')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({ summary: "Devices of the tenant's device types (first 1000)" })
  @ApiQuery({ name: 'deviceTypeId', required: false })
  @ApiOkResponse({ description: 'Devices' })
  async listDevices(@CurrentTenantId() tenantId: string, @Query('deviceTypeId') deviceTypeId?: string) {
    const typeId = deviceTypeId === undefined ? undefined : uuidOr404(deviceTypeId, 'device type');
    return (await this.manufacturer.listDevices(tenantId, typeId)).map(deviceView);
  }

  @Post('masas')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({
    summary:
      'Creates a MASA: generated (CA + signing key in custody; issues vouchers) or external (verifies imports)',
  })
  @ApiBody({ schema: openApiSchema(masaSchema) })
  @ApiCreatedResponse({ description: 'The MASA; devices trust its trustAnchors' })
  async createMasa(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(masaSchema, body);
    const masa =
      input.kind === 'generate'
        ? input
        : {
            kind: 'external' as const,
            name: input.name,
            certificate: certificatesFromPem(input.certificate, 'certificate')[0]!,
            chain: input.chain ? certificatesFromPem(input.chain, 'chain') : [],
            trustAnchors: input.trustAnchors ? certificatesFromPem(input.trustAnchors, 'trustAnchors') : [],
          };
    return masaView(await this.manufacturer.createMasa(tenantIdOf(principal), masa, principal.actor));
  }

  @Get('masas')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({ summary: "The tenant's MASAs" })
  @ApiOkResponse({ description: 'MASAs' })
  async listMasas(@CurrentTenantId() tenantId: string) {
    return (await this.manufacturer.listMasas(tenantId)).map(masaView);
  }

  @Get('masas/:id')
  @RequireRoles('manufacturing:admin')
  @ApiOperation({ summary: 'One MASA' })
  @ApiOkResponse({ description: 'The MASA' })
  async getMasa(@CurrentTenantId() tenantId: string, @Param('id') id: string) {
    return masaView(await this.manufacturer.masa(tenantId, uuidOr404(id, 'MASA')));
  }
}
