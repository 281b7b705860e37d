import { type FdoMessageHandler, type FdoRequest } from '@ztp/platform';
import {
  decodeDeviceMfgInfo,
  decodeDiAppStart,
  decodeDiSetHmac,
  decodeFdoHmac,
  encodeDiDone,
  encodeDiSetCredentials,
  MessageType,
  RawCbor,
} from '@ztp/protocol';
import { FdoProtocolError } from '@ztp/platform';
import { type CompleteDeviceInitialization } from './complete-device-initialization.use-case';
import { type StartDeviceInitialization } from './start-device-initialization.use-case';

/**
 * The FDO DI messages the voucher service serves: 10 (DI.AppStart) and 12 (DI.SetHMAC). Each
 * decodes, runs one use case and encodes the reply; failures become message 255 in FdoController.
 */
export function diMessageHandlers(
  start: StartDeviceInitialization,
  complete: CompleteDeviceInitialization,
): Map<number, FdoMessageHandler> {
  const appStart: FdoMessageHandler = async (request: FdoRequest) => {
    const { deviceMfgInfo } = decodeDiAppStart(request.body);
    if (!deviceMfgInfo) throw FdoProtocolError.malformed('DI.AppStart must carry DeviceMfgInfo');
    const { token, ovHeader } = await start.execute({
      mfgInfo: decodeDeviceMfgInfo(deviceMfgInfo),
      client: request,
    });
    return {
      type: MessageType.DISetCredentials,
      body: encodeDiSetCredentials({ ovHeader: new RawCbor(ovHeader.bytes) }),
      token,
    };
  };
  const setHmac: FdoMessageHandler = async (request: FdoRequest) => {
    const { hmac } = decodeDiSetHmac(request.body);
    await complete.execute({
      token: request.token,
      headerHmac: decodeFdoHmac(hmac.decode(), 'DI.SetHMAC.hmac'),
      client: request,
    });
    return { type: MessageType.DIDone, body: encodeDiDone() };
  };
  return new Map([
    [MessageType.DIAppStart, appStart],
    [MessageType.DISetHMAC, setHmac],
  ]);
}
