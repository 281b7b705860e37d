import { asInt, asText } from '@ztp/protocol';
import { type OwnerStepHandler, WAITING } from './owner-module';

/** fdo.wget: the device fetches by itself and answers `done` with the length, or `error`. */
export const wgetHandler: OwnerStepHandler = {
  async onMessage(step, _data, message, body) {
    if (message === 'done') return { kind: 'done', detail: `${asInt(body, 'fdo.wget:done')} bytes fetched` };
    if (message === 'error')
      return { kind: 'failed', detail: `${step.description}: ${asText(body, 'fdo.wget:error')}` };
    return WAITING;
  },
};
