import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { assertTenantVisible, CurrentPrincipal, type Principal, RequireRolesOrOperator } from '@ztp/auth';
import { asProblem } from '../manufacturing-error';
import { GetRendezvousDirectives, type RendezvousDirectivesView } from './get-rendezvous-directives.use-case';
import { RendezvousDirectivesDto, SetRendezvousRequestDto } from './rendezvous.dto';
import { SetRendezvousDirectives } from './set-rendezvous-directives.use-case';

@ApiTags('manufacturing')
@Controller('v1/manufacturers/:tenantId/rendezvous')
export class RendezvousController {
  constructor(
    private readonly setDirectives: SetRendezvousDirectives,
    private readonly getDirectives: GetRendezvousDirectives,
  ) {}

  @Get()
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({ summary: 'The rendezvous directives DI writes into new vouchers' })
  @ApiOkResponse({ type: RendezvousDirectivesDto })
  @ApiNotFoundResponse({ description: 'No such tenant (RFC 7807 problem)' })
  async get(
    @Param('tenantId') tenantId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RendezvousDirectivesView> {
    assertTenantVisible(principal, tenantId);
    return asProblem(() => this.getDirectives.execute({ tenantId }));
  }

  @Put()
  @RequireRolesOrOperator('manufacturing:admin')
  @ApiOperation({
    summary: 'Replace the rendezvous directives for new vouchers',
    description: 'Devices initialised earlier keep the RendezvousInfo they received.',
  })
  @ApiOkResponse({ type: RendezvousDirectivesDto })
  @ApiBadRequestResponse({ description: 'Invalid directives (RFC 7807 problem)' })
  @ApiNotFoundResponse({ description: 'No such tenant (RFC 7807 problem)' })
  @ApiConflictResponse({ description: 'Not a manufacturer (RFC 7807 problem)' })
  async put(
    @Param('tenantId') tenantId: string,
    @Body() body: SetRendezvousRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RendezvousDirectivesView> {
    assertTenantVisible(principal, tenantId);
    return asProblem(async () => ({
      directives: await this.setDirectives.execute({
        tenantId,
        actor: principal.actor,
        directives: (body as { directives?: unknown } | undefined)?.directives,
      }),
      source: 'tenant' as const,
    }));
  }
}
