import { type CborValue } from '@ztp/protocol';

/** Sends one message back to the owner from a device module (queued until the owner lets the device speak). */
export type Respond = (message: string, body: CborValue) => void;

/**
 * The device side of one ServiceInfo module (FSIM). `receive` gets each owner message for the
 * module, whole (chunks already reassembled), in order; it may answer through `respond` and may
 * take its time (a download to write, a command to run): the device sends its next
 * DeviceServiceInfo only once it has returned.
 */
export interface DeviceServiceInfoModule {
  /** e.g. "fdo.download". */
  readonly name: string;
  /** The owner activated the module (`module:active` true): a module that speaks first starts here. */
  activate?(respond: Respond): Promise<void>;
  receive(message: string, body: CborValue, respond: Respond): Promise<void>;
}

/** What the modules did during one TO2, for the caller (and for tests). */
export interface ModuleEvent {
  module: string;
  /** e.g. "downloaded", "command-exited", "certificate-stored", "refused". */
  kind: string;
  detail: string;
}

export type ModuleEventSink = (event: ModuleEvent) => void;
