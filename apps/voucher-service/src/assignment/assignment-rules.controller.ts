import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CurrentPrincipal,
  CurrentTenantId,
  Idempotent,
  type Principal,
  RequireRoles,
  tenantIdOf,
} from '@ztp/auth';
import {
  type AssignmentRuleView,
  AssignmentRuleService,
  rulePatchSchema,
  ruleSchema,
} from './assignment-rule.service';
import { openApiSchema, parseRequest } from '@ztp/platform';

const HOW =
  'When the tenant gets a voucher (DI, import or an accepted transfer), the first enabled matching rule (lowest priority ' +
  'first) transfers it to the target tenant automatically: incoming there, or accepted at once when the target lists this ' +
  'tenant in its autoAcceptTransfersFrom setting. productionLine rules match DI vouchers only.';

@ApiTags('assignment-rules')
@Controller('v1/assignment-rules')
export class AssignmentRulesController {
  constructor(private readonly rules: AssignmentRuleService) {}

  @Post()
  @RequireRoles('rules:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Adds an assignment rule', description: HOW })
  @ApiBody({ schema: openApiSchema(ruleSchema) })
  @ApiCreatedResponse({ description: 'The rule' })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<AssignmentRuleView> {
    return this.rules.create(tenantIdOf(principal), parseRequest(ruleSchema, body), principal.actor);
  }

  @Get()
  @RequireRoles('rules:admin')
  @ApiOperation({ summary: "The tenant's assignment rules, in the order they are tried" })
  @ApiOkResponse({ description: 'Rules' })
  list(@CurrentTenantId() tenantId: string): Promise<AssignmentRuleView[]> {
    return this.rules.list(tenantId);
  }

  @Get(':id')
  @RequireRoles('rules:admin')
  @ApiOperation({ summary: 'One assignment rule' })
  @ApiOkResponse({ description: 'The rule' })
  get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<AssignmentRuleView> {
    return this.rules.get(tenantId, id);
  }

  @Patch(':id')
  @HttpCode(200)
  @RequireRoles('rules:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Changes an assignment rule' })
  @ApiBody({ schema: openApiSchema(rulePatchSchema) })
  @ApiOkResponse({ description: 'The rule' })
  update(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AssignmentRuleView> {
    return this.rules.update(tenantIdOf(principal), id, parseRequest(rulePatchSchema, body), principal.actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles('rules:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Removes an assignment rule' })
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.rules.delete(tenantIdOf(principal), id, principal.actor);
  }
}
