import { Injectable } from '@nestjs/common';
import {
  type FdoMessageHandler,
  type FdoMessageHandlers,
  type FdoReply,
  type FdoRequest,
} from '@ztp/platform';
import { decodeTo2GetOvNextEntry, decodeTo2HelloDevice, MessageType } from '@ztp/protocol';
import { DeviceServiceInfo } from './messages/device-service-info';
import { Done } from './messages/done';
import { HelloDevice } from './messages/hello-device';
import { OvNextEntry } from './messages/ov-next-entry';
import { ProveDevice } from './messages/prove-device';
import { ServiceInfoReady } from './messages/service-info-ready';

/**
 * The TO2 messages owner-onboarding answers on the shared FDO endpoint, each thin: decode, one use
 * case, reply. Bodies from 66 on arrive encrypted and are opened by the use case (it holds the
 * session keys). The session token is echoed on every reply, as go-fdo's server does.
 */
@Injectable()
export class To2Handlers {
  constructor(
    private readonly helloDevice: HelloDevice,
    private readonly ovNextEntry: OvNextEntry,
    private readonly proveDevice: ProveDevice,
    private readonly serviceInfoReady: ServiceInfoReady,
    private readonly deviceServiceInfo: DeviceServiceInfo,
    private readonly done: Done,
  ) {}

  handlers(): FdoMessageHandlers {
    const reply =
      (type: number, run: (request: FdoRequest) => Promise<Uint8Array>): FdoMessageHandler =>
      async (request): Promise<FdoReply> => ({ type, body: await run(request), token: request.token });
    return new Map<number, FdoMessageHandler>([
      [
        MessageType.TO2HelloDevice,
        async (request) => {
          const { body, token } = await this.helloDevice.handle(
            decodeTo2HelloDevice(request.body),
            request.body,
          );
          return { type: MessageType.TO2ProveOVHdr, body, token };
        },
      ],
      [
        MessageType.TO2GetOVNextEntry,
        reply(MessageType.TO2OVNextEntry, (request) =>
          this.ovNextEntry.handle(request.token, decodeTo2GetOvNextEntry(request.body)),
        ),
      ],
      [
        MessageType.TO2ProveDevice,
        reply(MessageType.TO2SetupDevice, (request) => this.proveDevice.handle(request.token, request.body)),
      ],
      [
        MessageType.TO2DeviceServiceInfoReady,
        reply(MessageType.TO2OwnerServiceInfoReady, (request) =>
          this.serviceInfoReady.handle(request.token, request.body),
        ),
      ],
      [
        MessageType.TO2DeviceServiceInfo,
        reply(MessageType.TO2OwnerServiceInfo, (request) =>
          this.deviceServiceInfo.handle(request.token, request.body),
        ),
      ],
      [
        MessageType.TO2Done,
        reply(MessageType.TO2Done2, (request) => this.done.handle(request.token, request.body)),
      ],
    ]);
  }
}
