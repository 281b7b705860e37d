import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { assertTenantVisible, CurrentPrincipal, type Principal, RequireRolesOrOperator } from '@ztp/auth';
import { asProblem } from '../manufacturing-error';
import { parseBody } from '../request-body';
import { GetManufacturerPki } from './get-manufacturer-pki.use-case';
import { InitializeManufacturerPki } from './initialize-manufacturer-pki.use-case';
import { initializePkiSchema, InitializePkiRequestDto, ManufacturerPkiDto } from './manufacturer-pki.dto';
import { type ManufacturerPkiView } from './manufacturer-pki-view';

@ApiTags('manufacturing')
@Controller('v1/manufacturers/:tenantId/pki')
export class ManufacturerPkiController {
  constructor(
    private readonly initializePki: InitializeManufacturerPki,
    private readonly getPki: GetManufacturerPki,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({
    summary: 'Set a manufacturer up for DI',
    description:
      'Creates the root CA, the manufacturing intermediate CA (keys in key custody) and the voucher-signing key, and records them with an audit event. Once per manufacturer.',
  })
  @ApiCreatedResponse({ type: ManufacturerPkiDto })
  @ApiBadRequestResponse({ description: 'Invalid request body (RFC 7807 problem)' })
  @ApiNotFoundResponse({ description: 'No such tenant (RFC 7807 problem)' })
  @ApiConflictResponse({ description: 'Not a manufacturer, or the PKI exists already (RFC 7807 problem)' })
  async initialize(
    @Param('tenantId') tenantId: string,
    @Body() body: InitializePkiRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ManufacturerPkiView> {
    assertTenantVisible(principal, tenantId);
    return asProblem(() =>
      this.initializePki.execute({
        tenantId,
        actor: principal.actor,
        ...parseBody(initializePkiSchema, body),
      }),
    );
  }

  @Get()
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({ summary: "The manufacturer's CA certificates and voucher-signing public key" })
  @ApiOkResponse({ type: ManufacturerPkiDto })
  @ApiNotFoundResponse({ description: 'No such tenant, or no PKI yet (RFC 7807 problem)' })
  async get(
    @Param('tenantId') tenantId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ManufacturerPkiView> {
    assertTenantVisible(principal, tenantId);
    return asProblem(() => this.getPki.execute({ tenantId }));
  }
}
