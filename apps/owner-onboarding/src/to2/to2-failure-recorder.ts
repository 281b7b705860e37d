import { Injectable } from '@nestjs/common';
import { type FdoFailure } from '@ztp/platform';
import { decodeTo2HelloDevice, guidToHex, MessageType } from '@ztp/protocol';
import { DeviceFailureReporter } from '@ztp/queue';
import { sessionTokenHash } from './session/session-token';

const TO2_MESSAGES: ReadonlyMap<number, string> = new Map([
  [MessageType.TO2HelloDevice, 'TO2.HelloDevice'],
  [MessageType.TO2GetOVNextEntry, 'TO2.GetOVNextEntry'],
  [MessageType.TO2ProveDevice, 'TO2.ProveDevice'],
  [MessageType.TO2DeviceServiceInfoReady, 'TO2.DeviceServiceInfoReady'],
  [MessageType.TO2DeviceServiceInfo, 'TO2.DeviceServiceInfo'],
  [MessageType.TO2Done, 'TO2.Done'],
]);

/**
 * Refused TO2 messages become events of the device (HelloDevice by its GUID, later messages by
 * their session) and `device.onboarding_failed` webhooks to the session's owner.
 */
@Injectable()
export class To2FailureRecorder {
  constructor(private readonly reporter: DeviceFailureReporter) {}

  readonly record = (failure: FdoFailure): void => {
    const { request } = failure;
    const message = TO2_MESSAGES.get(request.type);
    if (!message) return;
    let target: { guid: string } | { to2TokenHash: Buffer };
    if (request.type === MessageType.TO2HelloDevice) {
      try {
        target = { guid: guidToHex(decodeTo2HelloDevice(request.body).guid) };
      } catch {
        return; // an unreadable HelloDevice names no device
      }
    } else if (request.token) target = { to2TokenHash: sessionTokenHash(request.token) };
    else return;
    this.reporter.reportSoon({
      target,
      protocol: 'fdo',
      eventType: 'to2.failed',
      result: 'failed',
      messageType: request.type,
      errorCode: failure.code,
      reason: failure.reason,
      data: { message },
      webhook: 'device.onboarding_failed',
    });
  };
}
