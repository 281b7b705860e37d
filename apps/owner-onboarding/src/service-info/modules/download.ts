import { asInt } from '@ztp/protocol';
import { type OwnerStepHandler, WAITING } from './owner-module';

/** fdo.download: the device answers `done` with the length written, or -1 when it failed. */
export const downloadHandler: OwnerStepHandler = {
  async onMessage(step, _data, message, body) {
    if (message !== 'done' || step.await.kind !== 'download') return WAITING;
    const written = asInt(body, 'fdo.download:done');
    if (written === step.await.length) return { kind: 'done', detail: `${written} bytes written` };
    return { kind: 'failed', detail: `${step.description}: the device reported ${written}` };
  },
};
