import { downloadData, Fsim, type OwnerProgram, type ProgramStep } from '@ztp/persistence';
import {
  chunkServiceInfo,
  DevmodCollector,
  decode,
  encode,
  ErrorCode,
  FdoMessageError,
  type CborValue,
  type ServiceInfo,
  type ServiceInfoKv,
  type To2DeviceServiceInfo,
  type To2OwnerServiceInfo,
} from '@ztp/protocol';
import { reassemble } from './durable-reassembler';
import { commandHandler } from './modules/command';
import { csrHandler } from './modules/csr';
import { downloadHandler } from './modules/download';
import {
  type CertificateAuthorityPort,
  type DeliveryContext,
  type OwnerStepHandler,
  type StepEvent,
  type StepServices,
  type UploadSinkPort,
} from './modules/owner-module';
import { uploadHandler } from './modules/upload';
import { wgetHandler } from './modules/wget';
import { type ServiceInfoProgress } from './service-info-progress';

/** The configuration could not be delivered; TO2 is refused and the device will come back. */
export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
}

const HANDLERS: Readonly<Record<string, OwnerStepHandler>> = {
  [Fsim.download]: downloadHandler,
  [Fsim.wget]: wgetHandler,
  [Fsim.command]: commandHandler,
  [Fsim.upload]: uploadHandler,
  [Fsim.csr]: csrHandler,
};

/** Rounds a step may wait for a device that sends nothing before the delivery is given up. */
export const MAX_IDLE_ROUNDS = 10_000;

export interface ServiceInfoDeps {
  readonly program: OwnerProgram;
  readonly context: DeliveryContext;
  readonly ca: CertificateAuthorityPort;
  readonly uploads: UploadSinkPort;
  /** The step's messages chunked for `mtu` (data of downloads included). */
  stepMessages(index: number, step: ProgramStep, mtu: number): Promise<ServiceInfo[]>;
}

const invalid = (message: string) => new FdoMessageError(ErrorCode.InvalidMessageError, message);

/** A step's messages, download data appended, chunked to the negotiated size. */
export function chunkStep(step: ProgramStep, fileContent: Uint8Array | null, mtu: number): ServiceInfo[] {
  const kvs: ServiceInfoKv[] = fileContent ? [...step.kvs, ...downloadData(fileContent)] : step.kvs;
  return chunkServiceInfo(kvs, { maxSize: mtu });
}

/**
 * One TO2.DeviceServiceInfo (68) in, one TO2.OwnerServiceInfo (69) out, `progress` updated:
 * devmod first, then the owner program step by step. Refuses completion-logic errors with 101
 * (a non-empty message while the owner still had more, anything after IsDone), a structurally bad
 * exchange with 100, and ends with DeliveryFailure when a step fails.
 */
export async function exchangeServiceInfo(
  progress: ServiceInfoProgress,
  message: To2DeviceServiceInfo,
  deps: ServiceInfoDeps,
): Promise<To2OwnerServiceInfo> {
  if (progress.ownerDone) throw invalid('the owner already sent IsDone; TO2.Done was expected');
  if (progress.ownerIsMore && (message.serviceInfo.length > 0 || message.isMoreServiceInfo))
    throw invalid('the owner had more ServiceInfo; the device must answer with an empty, final message');
  const { messages, pending } = reassemble(progress.pending, message.serviceInfo);
  progress.pending = pending;
  const services = servicesFor(progress, deps);
  for (const received of messages) {
    if (received.module === 'devmod') {
      if (progress.devmod) throw invalid('devmod was already complete');
      new DevmodCollector().add(received.message, received.body);
      progress.devmodMessages.push([received.message, received.bytes]);
      continue;
    }
    if (!progress.devmod && progress.devmodMessages.length === 0)
      throw new FdoMessageError(ErrorCode.MessageBodyError, 'devmod must be the first ServiceInfo module');
    await routeToStep(progress, deps, services, received.module, received.message, received.body);
  }
  if (message.isMoreServiceInfo) {
    progress.ownerIsMore = false;
    return { isMoreServiceInfo: false, isDone: false, serviceInfo: [] };
  }
  if (progress.pending)
    throw new FdoMessageError(
      ErrorCode.MessageBodyError,
      `ServiceInfo "${progress.pending.key}" ends unfinished`,
    );
  if (!progress.devmod) completeDevmod(progress, deps);
  if (messages.length === 0 && awaitingDevice(progress)) progress.idleRounds++;
  else progress.idleRounds = 0;
  if (progress.idleRounds > MAX_IDLE_ROUNDS)
    fail(progress, `the device stopped answering ${deps.program.steps[progress.step]!.description}`);
  return nextOwnerMessage(progress, deps);
}

function servicesFor(progress: ServiceInfoProgress, deps: ServiceInfoDeps): StepServices {
  return {
    context: deps.context,
    ca: deps.ca,
    uploads: deps.uploads,
    respond(module: string, name: string, body: CborValue) {
      progress.responses.push([`${module}:${name}`, encode(body)]);
    },
  };
}

/** Replays what arrived of devmod into the library's collector: complete, or error 100. */
function completeDevmod(progress: ServiceInfoProgress, deps: ServiceInfoDeps): void {
  const collector = new DevmodCollector();
  for (const [name, bytes] of progress.devmodMessages) collector.add(name, decode(bytes));
  const devmod = collector.result();
  progress.devmod = {
    ...devmod,
    ...(devmod.sn instanceof Uint8Array ? { sn: Buffer.from(devmod.sn).toString('hex') } : {}),
  };
  progress.devmodMessages = [];
  const missing = [...new Set(deps.program.steps.map((step) => step.module))].filter(
    (module) => !devmod.modules.includes(module),
  );
  if (missing.length > 0) fail(progress, `the device does not support ${missing.join(', ')}`);
}

/** A step whose messages went out and that now waits for the device. */
function awaitingDevice(progress: ServiceInfoProgress): boolean {
  return progress.step < progress.stepCount && progress.sent > 0 && progress.responses.length === 0;
}

async function routeToStep(
  progress: ServiceInfoProgress,
  deps: ServiceInfoDeps,
  services: StepServices,
  module: string,
  name: string,
  body: CborValue,
): Promise<void> {
  const step = deps.program.steps[progress.step];
  if (name === 'active') {
    if (body === false && deps.program.steps.some((s) => s.module === module))
      fail(progress, `the device deactivated ${module}`);
    return;
  }
  if (!step || step.module !== module || progress.failure) {
    if (module === Fsim.csr && name.endsWith('-req')) services.respond(Fsim.csr, 'error', 2);
    return;
  }
  const handler = HANDLERS[module];
  if (!handler) return;
  const event: StepEvent = await handler.onMessage(step, progress.stepData, name, body, services);
  if (event.kind === 'waiting') return;
  progress.results.push({
    module: step.module,
    description: step.description,
    ok: event.kind === 'done',
    ...(event.detail ? { detail: event.detail } : {}),
  });
  if (event.kind === 'failed') {
    progress.failure = event.detail;
    return;
  }
  progress.step++;
  progress.sent = 0;
  progress.stepData = {};
}

function fail(progress: ServiceInfoProgress, detail: string): never {
  progress.failure = detail;
  throw new DeliveryFailure(detail);
}

async function nextOwnerMessage(
  progress: ServiceInfoProgress,
  deps: ServiceInfoDeps,
): Promise<To2OwnerServiceInfo> {
  if (progress.responses.length > 0) {
    const kvs = progress.responses.map(([key, value]) => ({ key, value }));
    const [first, ...rest] = chunkServiceInfo(kvs, { maxSize: progress.mtu });
    progress.responses = rest.flat().map((kv) => [kv.key, kv.value]);
    progress.ownerIsMore = rest.length > 0;
    return { isMoreServiceInfo: progress.ownerIsMore, isDone: false, serviceInfo: first ?? [] };
  }
  if (progress.failure) throw new DeliveryFailure(progress.failure);
  if (progress.step >= progress.stepCount) {
    progress.ownerDone = true;
    progress.ownerIsMore = false;
    return { isMoreServiceInfo: false, isDone: true, serviceInfo: [] };
  }
  const step = deps.program.steps[progress.step]!;
  const messages = await deps.stepMessages(progress.step, step, progress.mtu);
  if (progress.sent < messages.length) {
    const serviceInfo = messages[progress.sent]!;
    progress.sent++;
    progress.ownerIsMore = progress.sent < messages.length;
    return { isMoreServiceInfo: progress.ownerIsMore, isDone: false, serviceInfo };
  }
  progress.ownerIsMore = false;
  return { isMoreServiceInfo: false, isDone: false, serviceInfo: [] };
}
