import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type AppConfig } from '@ztp/config';
import { certsOnly, EST_MEDIA_TYPES, estBase64Decode, estBase64Encode, PkiError } from '@ztp/pki';
import { APP_CONFIG, clientCertificateOf, type PresentedClientCertificate } from '@ztp/platform';
import { EstRefusal } from './est-errors';
import { EstService } from './est.service';

type EstRequest = IncomingMessage & { body?: unknown };

/** EST requests are a few KiB; anything much larger is not a CSR. */
const MAX_EST_REQUEST_BYTES = 64 * 1024;

/**
 * EST (RFC 7030) for owner CAs: `/.well-known/est/{cacerts,csrattrs,simpleenroll,simplereenroll}`,
 * and the same under a CA label, `/.well-known/est/{owner tenant id}/...`. Unlabelled requests
 * name their owner by the client certificate. Refusals are RFC 7807 problems.
 */
@ApiTags('est')
@Controller('.well-known/est')
export class EstController {
  constructor(
    private readonly est: EstService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('cacerts')
  @ApiOperation({ summary: 'EST cacerts (RFC 7030 4.1) of the owner CA that issued the client certificate' })
  @ApiProduces(EST_MEDIA_TYPES.certsOnly)
  @ApiOkResponse({ description: 'base64 certs-only CMS with the owner CA certificate' })
  async cacerts(@Req() req: EstRequest, @Res() res: ServerResponse): Promise<void> {
    await this.cacertsOf(undefined, req, res);
  }

  @Get(':label/cacerts')
  @ApiOperation({ summary: 'EST cacerts (RFC 7030 4.1) of the owner CA labelled by its owner tenant id' })
  @ApiProduces(EST_MEDIA_TYPES.certsOnly)
  @ApiOkResponse({ description: 'base64 certs-only CMS with the owner CA certificate' })
  async labelledCacerts(
    @Param('label') label: string,
    @Req() req: EstRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    await this.cacertsOf(label, req, res);
  }

  @Get('csrattrs')
  @ApiOperation({ summary: 'EST csrattrs (RFC 7030 4.5): the key type and signature algorithm to request' })
  @ApiProduces(EST_MEDIA_TYPES.csrAttrs)
  async csrattrs(@Req() req: EstRequest, @Res() res: ServerResponse): Promise<void> {
    await this.csrattrsOf(undefined, req, res);
  }

  @Get(':label/csrattrs')
  @ApiOperation({ summary: 'EST csrattrs (RFC 7030 4.5) of a labelled owner CA' })
  @ApiProduces(EST_MEDIA_TYPES.csrAttrs)
  async labelledCsrattrs(
    @Param('label') label: string,
    @Req() req: EstRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    await this.csrattrsOf(label, req, res);
  }

  @Post('simpleenroll')
  @HttpCode(200)
  @ApiOperation({
    summary: 'EST simpleenroll (RFC 7030 4.2.1): first enrolment with a one-time token from the owner API',
    description:
      'Body: base64 PKCS#10 (application/pkcs10). The token is the HTTP Basic password (any user name) or a Bearer token.',
  })
  @ApiProduces(EST_MEDIA_TYPES.certsOnly)
  async simpleenroll(@Req() req: EstRequest, @Res() res: ServerResponse): Promise<void> {
    await this.enrollOf(undefined, req, res);
  }

  @Post(':label/simpleenroll')
  @HttpCode(200)
  @ApiOperation({ summary: 'EST simpleenroll (RFC 7030 4.2.1) at a labelled owner CA' })
  @ApiProduces(EST_MEDIA_TYPES.certsOnly)
  async labelledSimpleenroll(
    @Param('label') label: string,
    @Req() req: EstRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    await this.enrollOf(label, req, res);
  }

  @Post('simplereenroll')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'EST simplereenroll (RFC 7030 4.2.2): renewal with the current certificate as TLS client certificate',
    description:
      'Body: base64 PKCS#10 for a new key. Subject and SANs of the current certificate are kept; it is ' +
      'revoked (superseded) when the new one is issued.',
  })
  @ApiProduces(EST_MEDIA_TYPES.certsOnly)
  async simplereenroll(@Req() req: EstRequest, @Res() res: ServerResponse): Promise<void> {
    await this.reenrollOf(undefined, req, res);
  }

  @Post(':label/simplereenroll')
  @HttpCode(200)
  @ApiOperation({ summary: 'EST simplereenroll (RFC 7030 4.2.2) at a labelled owner CA' })
  @ApiProduces(EST_MEDIA_TYPES.certsOnly)
  async labelledSimplereenroll(
    @Param('label') label: string,
    @Req() req: EstRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    await this.reenrollOf(label, req, res);
  }

  private async cacertsOf(label: string | undefined, req: EstRequest, res: ServerResponse): Promise<void> {
    await refusalsAsProblems(async () => {
      const owner = await this.est.ownerOf(label, this.clientCertificate(req));
      sendBase64(res, EST_MEDIA_TYPES.certsOnly, certsOnly(await this.est.caCertificates(owner)));
    });
  }

  private async csrattrsOf(label: string | undefined, req: EstRequest, res: ServerResponse): Promise<void> {
    await refusalsAsProblems(async () => {
      const owner = await this.est.ownerOf(label, this.clientCertificate(req));
      sendBase64(res, EST_MEDIA_TYPES.csrAttrs, await this.est.csrAttributes(owner));
    });
  }

  private async enrollOf(label: string | undefined, req: EstRequest, res: ServerResponse): Promise<void> {
    await refusalsAsProblems(async () => {
      const csr = csrBody(req);
      const issued = await this.est.enroll(label, enrollmentToken(req.headers.authorization), csr);
      sendBase64(res, EST_MEDIA_TYPES.certsOnly, certsOnly([issued.certificate]));
    });
  }

  private async reenrollOf(label: string | undefined, req: EstRequest, res: ServerResponse): Promise<void> {
    await refusalsAsProblems(async () => {
      const csr = csrBody(req);
      const issued = await this.est.reenroll(label, this.clientCertificate(req), csr);
      sendBase64(res, EST_MEDIA_TYPES.certsOnly, certsOnly([issued.certificate]));
    });
  }

  private clientCertificate(req: EstRequest): PresentedClientCertificate | undefined {
    return clientCertificateOf(req, {
      trustedProxies: this.config.est.trustedProxies,
      header: this.config.est.clientCertHeader,
    });
  }
}

async function refusalsAsProblems(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof EstRefusal) throw err.toProblem();
    throw err;
  }
}

/** The request's PKCS#10 (RFC 7030 4.2.1: application/pkcs10, base64). */
function csrBody(req: EstRequest): Uint8Array {
  const type = req.headers['content-type']?.toLowerCase() ?? '';
  if (!type.startsWith(EST_MEDIA_TYPES.pkcs10) || !Buffer.isBuffer(req.body))
    throw new EstRefusal(
      415,
      'unsupported-media-type',
      `the request is POSTed as ${EST_MEDIA_TYPES.pkcs10} (base64)`,
    );
  if (req.body.byteLength > MAX_EST_REQUEST_BYTES)
    throw new EstRefusal(400, 'request-too-large', 'the request is larger than any certification request');
  try {
    return estBase64Decode(req.body);
  } catch (err) {
    if (err instanceof PkiError)
      throw new EstRefusal(400, 'malformed-est-body', 'the body is not base64 DER');
    throw err;
  }
}

/** The token of HTTP Basic (its password) or Bearer authorization. */
export function enrollmentToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return value || undefined;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
}

function sendBase64(res: ServerResponse, contentType: string, der: Uint8Array): void {
  const body = estBase64Encode(der);
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Transfer-Encoding', 'base64');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
