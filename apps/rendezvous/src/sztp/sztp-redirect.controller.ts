import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Controller, Get, Inject, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type AppConfig } from '@ztp/config';
import {
  hostMeta,
  SztpDeviceIdentifier,
  SztpProgressLog,
  SztpRestconfServer,
  writeRestconfResponse,
} from '@ztp/persistence';
import { APP_CONFIG, clientCertificateOf } from '@ztp/platform';
import { SztpRedirectService } from './sztp-redirect.service';

type SztpHttpRequest = IncomingMessage & { body?: unknown; id?: string; ip?: string };

/**
 * The manufacturer's SZTP redirect server (RFC 8572), a device's first stop: host-meta and the
 * RESTCONF operations get-bootstrapping-data (redirect-information to its owner's bootstrap servers)
 * and report-progress, on the app's HTTP port and, when configured, its own HTTPS port with IDevID
 * client certificates.
 */
@ApiExcludeController()
@Controller()
export class SztpRedirectController {
  private readonly logger = new Logger('SztpRedirect');
  private readonly server: SztpRestconfServer;

  constructor(
    identifier: SztpDeviceIdentifier,
    progress: SztpProgressLog,
    redirect: SztpRedirectService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.server = new SztpRestconfServer({
      identifier,
      progress,
      behaviour: {
        role: 'redirect',
        getBootstrappingData: (device, input) => redirect.getBootstrappingData(device, input),
      },
      log: {
        refused: (details, message) =>
          this.logger.warn({ ...details, reason: message }, 'SZTP request refused'),
        failed: (err, details) => this.logger.error({ ...details, err }, 'SZTP request failed'),
      },
    });
  }

  @Get('.well-known/host-meta')
  hostMeta(@Req() req: SztpHttpRequest, @Res() res: ServerResponse): void {
    const { contentType, body } = hostMeta(req.headers.accept);
    writeRestconfResponse(res, { status: 200, headers: { 'Content-Type': contentType }, body });
  }

  @Post('restconf/operations/:operation')
  async operation(
    @Param('operation') operation: string,
    @Req() req: SztpHttpRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const clientCertificate = clientCertificateOf(req, {
      trustedProxies: this.config.sztp.trustedProxies,
      header: this.config.sztp.clientCertHeader,
    });
    const response = await this.server.handle({
      operation,
      contentType: req.headers['content-type'],
      accept: req.headers.accept,
      authorization: req.headers.authorization,
      body: req.body,
      ...(clientCertificate ? { clientCertificate } : {}),
      ...((req.ip ?? req.socket.remoteAddress) ? { remoteAddress: req.ip ?? req.socket.remoteAddress } : {}),
      ...(req.id ? { requestId: req.id } : {}),
    });
    writeRestconfResponse(res, response);
  }
}
