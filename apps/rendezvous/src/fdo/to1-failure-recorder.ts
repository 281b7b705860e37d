import { Injectable } from '@nestjs/common';
import { type FdoFailure } from '@ztp/platform';
import { decodeTo1HelloRv, ErrorCode, guidToHex, MessageType } from '@ztp/protocol';
import { DeviceFailureReporter } from '@ztp/queue';
import { ProtocolTokens } from '../tokens/protocol-token';

/**
 * Refused TO1 messages become events of the device (found by GUID: HelloRV's, or the one in
 * ProveToRV's session token) and `device.onboarding_failed` webhooks to the voucher's holder. A
 * TO1 before the owner's TO0 landed (error 6) is recorded too: it is the one trace of a device its
 * owner never registered, and a device retrying leaves one event per coalescing window.
 */
@Injectable()
export class To1FailureRecorder {
  constructor(
    private readonly reporter: DeviceFailureReporter,
    private readonly tokens: ProtocolTokens,
  ) {}

  readonly record = (failure: FdoFailure): void => {
    const { request } = failure;
    if (request.type !== MessageType.TO1HelloRV && request.type !== MessageType.TO1ProveToRV) return;
    const guid = this.guidOf(request.type, request.body, request.token);
    if (!guid) return;
    this.reporter.reportSoon({
      target: { guid },
      protocol: 'fdo',
      eventType: 'to1.failed',
      result: 'failed',
      messageType: request.type,
      errorCode: failure.code,
      reason:
        failure.code === ErrorCode.ResourceNotFound
          ? 'no rendezvous registration in force for this GUID (the owner has not run TO0, or it expired)'
          : failure.reason,
      webhook: 'device.onboarding_failed',
    });
  };

  private guidOf(type: number, body: Uint8Array, token: string | undefined): string | undefined {
    try {
      if (type === MessageType.TO1HelloRV) return guidToHex(decodeTo1HelloRv(body).guid);
      return guidToHex(this.tokens.verify(token, MessageType.TO1ProveToRV).guid);
    } catch {
      // An unreadable HelloRV or a bad token names no device: nothing to record.
      return undefined;
    }
  }
}
