import { type PendingValue } from './durable-reassembler';

/** How one program step ended. */
export interface StepOutcome {
  module: string;
  description: string;
  ok: boolean;
  detail?: string;
}

/**
 * Where the ServiceInfo exchange of one TO2 session stands (stored with the session, so it is
 * plain data). Module accumulators live in `stepData` and are reset with every new step.
 */
export interface ServiceInfoProgress {
  /** maxOwnerServiceInfoSz the device announced in 66 (1300 when it sent null). */
  mtu: number;
  /** The bundle being delivered: its revision and step count. */
  bundleRevision: number;
  stepCount: number;
  pending: PendingValue | null;
  /** devmod messages received so far, [message, CBOR body], until devmod is complete. */
  devmodMessages: [string, Uint8Array][];
  /** The device's devmod once complete (JSON-able; sn kept as sent). */
  devmod: Record<string, unknown> | null;
  /** Index of the step being delivered (stepCount once all are done). */
  step: number;
  /** Messages of the current step already sent. */
  sent: number;
  /** The last OwnerServiceInfo had IsMoreServiceInfo: the device must answer empty. */
  ownerIsMore: boolean;
  /** The last OwnerServiceInfo had IsDone: only TO2.Done may follow. */
  ownerDone: boolean;
  /** Answers to device requests (fdo.csr) waiting to be sent, [key, value]. */
  responses: [string, Uint8Array][];
  /** Module accumulators of the current step. */
  stepData: Record<string, unknown>;
  /** A step failed; reported once the responses explaining it have been sent. */
  failure: string | null;
  /** Rounds in a row in which the device sent nothing while a step waited for it. */
  idleRounds: number;
  results: StepOutcome[];
}

export function newServiceInfoProgress(
  mtu: number,
  bundleRevision: number,
  stepCount: number,
): ServiceInfoProgress {
  return {
    mtu,
    bundleRevision,
    stepCount,
    pending: null,
    devmodMessages: [],
    devmod: null,
    step: 0,
    sent: 0,
    ownerIsMore: false,
    ownerDone: false,
    responses: [],
    stepData: {},
    failure: null,
    idleRounds: 0,
    results: [],
  };
}
