import { type Option } from 'commander';
import { type Fetch } from '@ztp/fdo-client';
import { type ResolvedDeviceKeyOptions } from '../device-options';

/** One simulated device in a `run`. */
export interface FlowDevice {
  /** 0-based position in the run. */
  readonly index: number;
  readonly serialNumber: string;
}

/** What a flow gets from `device-sim run`: the shared options and its own flags. */
export interface FlowContext {
  /** Voucher service base URL (DI). */
  readonly diUrl: string;
  readonly stationKey?: string;
  readonly deviceInfo: string;
  readonly deviceKey: ResolvedDeviceKeyOptions;
  /** Write each device's credential to <outDir>/<serial>.json when set. */
  readonly outDir?: string;
  /** Every parsed `run` option, including those the flows declared. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly fetch?: Fetch;
}

export interface FlowOutcome {
  /** The device's GUID at the end of the flow. */
  readonly guid: string;
}

/**
 * A way to drive one device through protocols (`device-sim run --flow <name>`). To add one: write
 * it in flows/<name>-flow.ts and append it to FLOWS (flows/index.ts); its `options` become `run`
 * flags.
 */
export interface DeviceFlow {
  readonly name: string;
  readonly description: string;
  readonly options?: readonly Option[];
  run(device: FlowDevice, context: FlowContext): Promise<FlowOutcome>;
}
