import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, type Principal } from '@ztp/auth';
import { TenantService } from './tenant.service';
import { type TenantView } from './tenant-view';

@ApiTags('tenants')
@Controller('v1/whoami')
export class WhoAmIController {
  constructor(private readonly tenants: TenantService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The caller: its principal and, for a tenant credential, its tenant' })
  @ApiOkResponse({ description: '{ principal, tenant }' })
  async whoami(
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ principal: Principal; tenant: TenantView | null }> {
    return {
      principal,
      tenant: principal.kind === 'tenant' ? await this.tenants.get(principal.tenantId) : null,
    };
  }
}
