import { randomBytes } from 'node:crypto';
import { type ServerResponse } from 'node:http';
import { Controller, HttpCode, Inject, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  CborError,
  encodeErrorMessage,
  ErrorCode,
  FdoMessageError,
  MAX_MESSAGE_SIZE,
  MessageType,
  newErrorMessage,
} from '@ztp/protocol';
import { type RequestWithId } from '../http/request-id';
import { FdoProtocolError } from './fdo-protocol-error';
import { FDO_MESSAGE_HANDLERS, type FdoMessageHandlers, type FdoReply } from './fdo-message-handler';

type FdoHttpRequest = RequestWithId & { body?: unknown; socket: { remoteAddress?: string }; ip?: string };

/**
 * FDO's HTTP binding, shared by every app that speaks FDO: `POST /fdo/101/msg/{type}` with an
 * application/cbor body, the session token in `Authorization: Bearer`, the reply type in the
 * `Message-Type` header. Any failure becomes an Error message (255) with a code, a message and a
 * correlation id that is also logged, answered with HTTP 200 as go-fdo's server does. Handlers
 * never see HTTP.
 */
@ApiExcludeController()
@Controller('fdo/101/msg')
export class FdoController {
  private readonly logger = new Logger('FDO');

  constructor(@Inject(FDO_MESSAGE_HANDLERS) private readonly handlers: FdoMessageHandlers) {}

  @Post(':type')
  @HttpCode(200)
  async receive(
    @Param('type') typeParam: string,
    @Req() req: FdoHttpRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const type = /^\d{1,3}$/.test(typeParam) ? Number(typeParam) : -1;
    try {
      const handler = this.handlers.get(type);
      if (!handler) throw FdoProtocolError.malformed(`message type ${typeParam} is not served here`);
      const body = this.bodyOf(req);
      const reply = await handler({
        type,
        body,
        token: bearerToken(req.headers.authorization),
        remoteAddress: req.ip ?? req.socket.remoteAddress ?? '',
        headers: req.headers,
        requestId: req.id,
      });
      this.write(res, reply);
    } catch (err) {
      this.writeError(res, type, err, req.id);
    }
  }

  private bodyOf(req: FdoHttpRequest): Uint8Array {
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (contentType !== 'application/cbor')
      throw FdoProtocolError.malformed('Content-Type must be application/cbor');
    if (!Buffer.isBuffer(req.body)) throw FdoProtocolError.malformed('empty message body');
    if (req.body.length > MAX_MESSAGE_SIZE)
      throw FdoProtocolError.malformed(
        `message body of ${req.body.length} bytes exceeds ${MAX_MESSAGE_SIZE}`,
      );
    return new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.length);
  }

  private write(res: ServerResponse, reply: FdoReply): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/cbor');
    res.setHeader('Message-Type', String(reply.type));
    if (reply.token) res.setHeader('Authorization', `Bearer ${reply.token}`);
    res.setHeader('Content-Length', String(reply.body.length));
    res.end(reply.body);
  }

  private writeError(
    res: ServerResponse,
    prevType: number,
    err: unknown,
    requestId: string | undefined,
  ): void {
    const { code, message } = describe(err);
    const correlationId = randomBytes(6).readUIntBE(0, 6);
    const log = { requestId, fdoMessage: prevType, fdoError: code, correlationId };
    if (code === ErrorCode.InternalServerError) this.logger.error({ ...log, err }, 'FDO internal error');
    else this.logger.warn({ ...log, reason: message }, 'FDO request refused');
    const body = encodeErrorMessage(
      newErrorMessage(code, prevType >= 0 && prevType <= 255 ? prevType : 0, message, {
        correlationId: BigInt(correlationId),
      }),
    );
    this.write(res, { type: MessageType.Error, body });
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function describe(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof FdoProtocolError) return { code: err.code, message: err.message };
  if (err instanceof FdoMessageError) return { code: err.code, message: err.message };
  if (err instanceof CborError) return { code: ErrorCode.MessageBodyError, message: err.message };
  return { code: ErrorCode.InternalServerError, message: 'internal error' };
}
