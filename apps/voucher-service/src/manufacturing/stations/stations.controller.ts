import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
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
import { type CreatedStation, CreateStation } from './create-station.use-case';
import { ListStations } from './list-stations.use-case';
import { RevokeStation } from './revoke-station.use-case';
import { type StationView } from './station-view';
import { CreatedStationDto, createStationSchema, CreateStationRequestDto, StationDto } from './stations.dto';

@ApiTags('manufacturing')
@Controller('v1/manufacturers/:tenantId/stations')
export class StationsController {
  constructor(
    private readonly createStation: CreateStation,
    private readonly listStations: ListStations,
    private readonly revokeStation: RevokeStation,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({
    summary: 'Register a DI station',
    description:
      'A station authenticates FDO DI for this manufacturer with an API key, a client certificate and/or a source-address allow-list; every factor it has must hold.',
  })
  @ApiCreatedResponse({ type: CreatedStationDto })
  @ApiBadRequestResponse({ description: 'Invalid request body (RFC 7807 problem)' })
  @ApiNotFoundResponse({ description: 'No such tenant (RFC 7807 problem)' })
  @ApiConflictResponse({ description: 'Not a manufacturer, or the name is taken (RFC 7807 problem)' })
  async create(
    @Param('tenantId') tenantId: string,
    @Body() body: CreateStationRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedStation> {
    assertTenantVisible(principal, tenantId);
    return asProblem(() =>
      this.createStation.execute({
        tenantId,
        actor: principal.actor,
        ...parseBody(createStationSchema, body),
      }),
    );
  }

  @Get()
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({ summary: "The manufacturer's DI stations, revoked ones included" })
  @ApiOkResponse({ type: [StationDto] })
  @ApiNotFoundResponse({ description: 'No such tenant (RFC 7807 problem)' })
  async list(
    @Param('tenantId') tenantId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<StationView[]> {
    assertTenantVisible(principal, tenantId);
    return asProblem(() => this.listStations.execute({ tenantId }));
  }

  @Get(':stationId')
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({ summary: 'One DI station' })
  @ApiOkResponse({ type: StationDto })
  @ApiNotFoundResponse({ description: 'No such tenant or station (RFC 7807 problem)' })
  async get(
    @Param('tenantId') tenantId: string,
    @Param('stationId') stationId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<StationView> {
    assertTenantVisible(principal, tenantId);
    return asProblem(async () => (await this.listStations.execute({ tenantId, stationId }))[0]!);
  }

  @Delete(':stationId')
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({
    summary: 'Revoke a DI station',
    description: 'None of its credentials opens DI any more, and DI runs it started cannot finish.',
  })
  @ApiOkResponse({ type: StationDto })
  @ApiNotFoundResponse({ description: 'No such tenant or station (RFC 7807 problem)' })
  async revoke(
    @Param('tenantId') tenantId: string,
    @Param('stationId') stationId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<StationView> {
    assertTenantVisible(principal, tenantId);
    return asProblem(() => this.revokeStation.execute({ tenantId, stationId, actor: principal.actor }));
  }
}
