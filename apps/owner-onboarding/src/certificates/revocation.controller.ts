import { type ServerResponse } from 'node:http';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { notFound } from '@ztp/auth';
import { CertificateRevocations } from '@ztp/persistence';
import { isUuid, ProblemException } from '@ztp/platform';
import { OcspResponder } from './ocsp-responder';

export const OCSP_REQUEST_TYPE = 'application/ocsp-request';
const OCSP_RESPONSE_TYPE = 'application/ocsp-response';
/** RFC 6960 A.1 caps GET requests' URLs at 255 bytes; POSTed ones are small too. */
const MAX_OCSP_REQUEST_BYTES = 8 * 1024;

/**
 * What relying parties fetch to check an operational certificate: each owner CA's CRL (RFC 5280)
 * and its OCSP responder (RFC 6960, POST and GET). Unauthenticated, as both are public by design.
 */
@ApiTags('certificates')
@Controller('pki/owners/:ownerTenantId')
export class RevocationController {
  constructor(
    private readonly revocations: CertificateRevocations,
    private readonly ocsp: OcspResponder,
  ) {}

  @Get('crl')
  @ApiOperation({ summary: "The owner CA's current CRL (DER)" })
  @ApiProduces('application/pkix-crl')
  @ApiOkResponse({ description: 'A CRL signed by the owner CA' })
  async crl(@Param('ownerTenantId') ownerTenantId: string, @Res() res: ServerResponse): Promise<void> {
    const crl = isUuid(ownerTenantId) ? await this.revocations.currentCrl(ownerTenantId) : null;
    if (!crl) throw notFound('owner CA', ownerTenantId);
    send(res, 'application/pkix-crl', crl);
  }

  @Post('ocsp')
  @HttpCode(200)
  @ApiOperation({ summary: 'OCSP responder of the owner CA (RFC 6960, POST)' })
  @ApiProduces(OCSP_RESPONSE_TYPE)
  async ocspPost(
    @Param('ownerTenantId') ownerTenantId: string,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res() res: ServerResponse,
  ): Promise<void> {
    if (!contentType?.toLowerCase().startsWith(OCSP_REQUEST_TYPE) || !Buffer.isBuffer(body))
      throw new ProblemException(415, {
        type: 'about:blank',
        title: 'Unsupported Media Type',
        detail: `an OCSP request is POSTed as ${OCSP_REQUEST_TYPE}`,
      });
    await this.answer(ownerTenantId, body, res);
  }

  @Get('ocsp/:request')
  @ApiOperation({ summary: 'OCSP responder of the owner CA (RFC 6960 A.1, GET with the base64 request)' })
  @ApiProduces(OCSP_RESPONSE_TYPE)
  async ocspGet(
    @Param('ownerTenantId') ownerTenantId: string,
    @Param('request') encoded: string,
    @Res() res: ServerResponse,
  ): Promise<void> {
    await this.answer(ownerTenantId, Buffer.from(decodeURIComponent(encoded), 'base64'), res);
  }

  private async answer(ownerTenantId: string, request: Buffer, res: ServerResponse): Promise<void> {
    if (!isUuid(ownerTenantId)) throw notFound('owner CA', ownerTenantId);
    if (request.byteLength > MAX_OCSP_REQUEST_BYTES)
      throw new ProblemException(413, { type: 'about:blank', title: 'Payload Too Large' });
    send(res, OCSP_RESPONSE_TYPE, await this.ocsp.respond(ownerTenantId, new Uint8Array(request)));
  }
}

function send(res: ServerResponse, contentType: string, body: Uint8Array): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.byteLength);
  res.end(body);
}
