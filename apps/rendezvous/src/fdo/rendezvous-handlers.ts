import { Inject, Injectable } from '@nestjs/common';
import { type FdoMessageHandlers, type FdoReply, type FdoRequest, FdoProtocolError } from '@ztp/platform';
import { encodeErrorMessage, ErrorCode, MAX_MESSAGE_SIZE, MessageType, newErrorMessage } from '@ztp/protocol';
import { RateLimitExceeded, RateLimits } from '../rate-limit/rate-limits';
import { SourceAddressResolver } from '../rate-limit/source-address';
import { RENDEZVOUS_SETTINGS, type RendezvousSettings } from '../settings/rendezvous-settings';
import { To0Service } from '../to0/to0.service';
import { To1Service } from '../to1/to1.service';

/**
 * Largest body accepted per message, bytes: TO0.Hello is an empty array, HelloRV a GUID and a
 * SigInfo, ProveToRV one EAT (an RSA-4096 signature and its headers fit with room to spare);
 * OwnerSign carries a whole voucher, up to FDO's 65,535-byte message limit.
 */
export const MAX_BODY_BYTES: ReadonlyMap<number, number> = new Map([
  [MessageType.TO0Hello, 64],
  [MessageType.TO0OwnerSign, MAX_MESSAGE_SIZE],
  [MessageType.TO1HelloRV, 1024],
  [MessageType.TO1ProveToRV, 8192],
]);

/**
 * The FDO messages the rendezvous server answers (TO0 20/22, TO1 30/32), each kept thin: size and
 * rate checks, then one use case. A rate-limited request is answered here with Error 500 (see
 * rateLimited) instead of being thrown, so a flood costs no log line per request.
 */
@Injectable()
export class RendezvousHandlers {
  private readonly sources: SourceAddressResolver;

  constructor(
    private readonly to0: To0Service,
    private readonly to1: To1Service,
    private readonly rateLimits: RateLimits,
    @Inject(RENDEZVOUS_SETTINGS) settings: RendezvousSettings,
  ) {
    this.sources = new SourceAddressResolver(settings.trustedProxies);
  }

  handlers(): FdoMessageHandlers {
    return new Map([
      [
        MessageType.TO0Hello,
        this.guard(MessageType.TO0HelloAck, async (request) => this.to0.hello(request.body)),
      ],
      [
        MessageType.TO0OwnerSign,
        this.guard(MessageType.TO0AcceptOwner, (request, source) =>
          this.to0.ownerSign(request.body, request.token, source),
        ),
      ],
      [
        MessageType.TO1HelloRV,
        this.guard(MessageType.TO1HelloRVAck, (request) => this.to1.helloRv(request.body)),
      ],
      [
        MessageType.TO1ProveToRV,
        this.guard(MessageType.TO1RVRedirect, (request) => this.to1.proveToRv(request.body, request.token)),
      ],
    ]);
  }

  private guard(
    replyType: number,
    handle: (request: FdoRequest, source: string) => Promise<{ body: Uint8Array; token?: string }>,
  ): (request: FdoRequest) => Promise<FdoReply> {
    return async (request) => {
      const source = this.sources.resolve(request.remoteAddress, request.headers);
      try {
        await this.rateLimits.checkAddress(source, request.type < MessageType.TO1HelloRV ? 'to0' : 'to1');
        const limit = MAX_BODY_BYTES.get(request.type)!;
        if (request.body.length > limit)
          throw FdoProtocolError.malformed(
            `message ${request.type} body of ${request.body.length} bytes exceeds ${limit}`,
          );
        const reply = await handle(request, source);
        return { type: replyType, ...reply };
      } catch (err) {
        if (err instanceof RateLimitExceeded) return rateLimited(request.type, err);
        throw err;
      }
    };
  }
}

/**
 * Rate limiting has no FDO error code of its own. InternalServerError (500) is the one that says
 * "not now" rather than "your message is wrong" (101 would send an operator hunting for a bad
 * credential), and devices treat any error alike: they move to the next rendezvous directive and
 * retry after their delay, which is what a throttled client should do. The text says when to retry.
 */
function rateLimited(prevType: number, err: RateLimitExceeded): FdoReply {
  return {
    type: MessageType.Error,
    body: encodeErrorMessage(newErrorMessage(ErrorCode.InternalServerError, prevType, err.message)),
  };
}
