import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { REVOCATION_REASON_NAMES } from '@ztp/pki';
import { openApiSchema, parseRequest } from '@ztp/platform';
import { z } from 'zod';
import {
  CertificatesService,
  type EnrollmentTokenView,
  type RevokedCertificateView,
} from './certificates.service';

const enrollmentTokenSchema = z.strictObject({
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
});

const revokeSchema = z.strictObject({
  reason: z
    .enum(REVOCATION_REASON_NAMES)
    .default('unspecified')
    .describe('RFC 5280 CRLReason; superseded is what re-enrolment uses'),
});

@ApiTags('certificates')
@Controller('v1/onboarding')
export class CertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  @Post('certificates/:serial/revoke')
  @HttpCode(200)
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: 'Revokes one operational certificate the owner CA issued, by serial number (hex)',
    description:
      'The CRL is re-signed on its next fetch and OCSP answers revoked at once; a certificate.revoked ' +
      'audit event and webhook are written with the revocation. 409 when it is already revoked.',
  })
  @ApiBody({ schema: openApiSchema(revokeSchema) })
  @ApiOkResponse({ description: 'The revoked certificate' })
  async revokeSerial(
    @Param('serial') serial: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RevokedCertificateView> {
    const { reason } = parseRequest(revokeSchema, body ?? {});
    return this.certificates.revokeSerial(tenantIdOf(principal), serial, reason, principal.actor);
  }

  @Post('devices/:device/certificates/revoke')
  @HttpCode(200)
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: "Revokes every unrevoked operational certificate of a device (GUID or id) the owner's CA issued",
    description: 'Idempotent: a device with nothing left to revoke answers an empty list.',
  })
  @ApiBody({ schema: openApiSchema(revokeSchema) })
  @ApiOkResponse({ description: 'The certificates this call revoked' })
  async revokeDevice(
    @Param('device') device: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ revoked: RevokedCertificateView[] }> {
    const { reason } = parseRequest(revokeSchema, body ?? {});
    return {
      revoked: await this.certificates.revokeDevice(tenantIdOf(principal), device, reason, principal.actor),
    };
  }

  @Post('devices/:device/est-enrollment-tokens')
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: "A one-time token for the device's first EST enrolment (simpleenroll on owner onboarding)",
    description:
      'The device sends it as the HTTP Basic password (any user name) or as a Bearer token with its ' +
      'PKCS#10 to /.well-known/est/{owner tenant id}/simpleenroll. The token is shown only in this answer.',
  })
  @ApiBody({ schema: openApiSchema(enrollmentTokenSchema) })
  @ApiCreatedResponse({ description: 'The token' })
  async createEnrollmentToken(
    @Param('device') device: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<EnrollmentTokenView> {
    const { expiresInSeconds } = parseRequest(enrollmentTokenSchema, body ?? {});
    return this.certificates.createEnrollmentToken(
      tenantIdOf(principal),
      device,
      expiresInSeconds,
      principal.actor,
    );
  }
}
