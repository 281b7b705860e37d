import { createHash, timingSafeEqual } from 'node:crypto';
import { asBytes, asInt, concatBytes } from '@ztp/protocol';
import { type OwnerStepHandler, type StepEvent, type StepServices, WAITING } from './owner-module';
import { type ProgramStep } from '@ztp/persistence';

/** Largest file a device may send with fdo.upload. */
export const MAX_UPLOAD_BYTES = 1024 * 1024;

async function finish(
  step: ProgramStep,
  data: Record<string, unknown>,
  services: StepServices,
  sha384: Uint8Array | null,
): Promise<StepEvent> {
  if (step.await.kind !== 'upload') return WAITING;
  const content = (data['content'] as Uint8Array | undefined) ?? new Uint8Array(0);
  const actual = createHash('sha384').update(content).digest();
  if (sha384 && (sha384.length !== actual.length || !timingSafeEqual(sha384, actual)))
    return {
      kind: 'failed',
      detail: `${step.description}: the SHA-384 the device sent does not match the data`,
    };
  await services.uploads.store({ context: services.context, name: step.await.name, content, sha384: actual });
  return { kind: 'done', detail: `${content.length} bytes received` };
}

/** fdo.upload: `length`, then `data` chunks, then `sha-384` when the owner asked for it. */
export const uploadHandler: OwnerStepHandler = {
  async onMessage(step, data, message, body, services) {
    if (step.await.kind !== 'upload') return WAITING;
    const expected = data['length'] as number | undefined;
    const received = () => (data['content'] as Uint8Array | undefined)?.length ?? 0;
    switch (message) {
      case 'length': {
        const length = asInt(body, 'fdo.upload:length');
        if (length < 0)
          return { kind: 'failed', detail: `${step.description}: the device cannot read the file` };
        if (length > MAX_UPLOAD_BYTES)
          return {
            kind: 'failed',
            detail: `${step.description}: ${length} bytes is over the ${MAX_UPLOAD_BYTES}-byte limit`,
          };
        data['length'] = length;
        return length === 0 && !step.await.needSha ? finish(step, data, services, null) : WAITING;
      }
      case 'data': {
        if (expected === undefined)
          return { kind: 'failed', detail: `${step.description}: data arrived before the length` };
        const chunk = asBytes(body, 'fdo.upload:data');
        if (received() + chunk.length > expected)
          return {
            kind: 'failed',
            detail: `${step.description}: more data than the announced ${expected} bytes`,
          };
        data['content'] = concatBytes([
          (data['content'] as Uint8Array | undefined) ?? new Uint8Array(0),
          chunk,
        ]);
        return received() === expected && !step.await.needSha ? finish(step, data, services, null) : WAITING;
      }
      case 'sha-384': {
        if (expected === undefined || received() !== expected)
          return { kind: 'failed', detail: `${step.description}: the checksum arrived before all the data` };
        return finish(step, data, services, asBytes(body, 'fdo.upload:sha-384', 48));
      }
      default:
        return WAITING;
    }
  },
};
