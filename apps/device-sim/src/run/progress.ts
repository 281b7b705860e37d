import { SingleBar } from 'cli-progress';
import { type SimIo } from '../io';

/** What happened to one device, for whoever watches the run. */
export type DeviceEvent =
  | { index: number; serialNumber: string; ok: true; guid: string; ms: number }
  | { index: number; serialNumber: string; ok: false; error: string; ms: number };

export interface RunProgress {
  start(total: number): void;
  device(event: DeviceEvent): void;
  stop(): void;
}

/**
 * On a terminal: a progress bar on stderr. Otherwise: one JSON line per device on stdout, so a pipe
 * or a log collector gets machine-readable records.
 */
export function progressFor(io: SimIo, flow: string): RunProgress {
  return io.interactive ? new ProgressBar(io, flow) : new JsonLines(io);
}

class JsonLines implements RunProgress {
  constructor(private readonly io: SimIo) {}
  start(): void {}
  device(event: DeviceEvent): void {
    this.io.stdout(`${JSON.stringify({ event: 'device', ...event, ms: Math.round(event.ms * 10) / 10 })}\n`);
  }
  stop(): void {}
}

class ProgressBar implements RunProgress {
  private readonly bar: SingleBar;
  private failed = 0;

  constructor(io: SimIo, flow: string) {
    this.bar = new SingleBar({
      format: `${flow} [{bar}] {value}/{total} | failed {failed} | {duration_formatted}`,
      stream: {
        write: (text: string) => (io.stderr(text), true),
        isTTY: true,
      } as unknown as NodeJS.WriteStream,
      hideCursor: true,
    });
  }
  start(total: number): void {
    this.bar.start(total, 0, { failed: 0 });
  }
  device(event: DeviceEvent): void {
    if (!event.ok) this.failed++;
    this.bar.increment(1, { failed: this.failed });
  }
  stop(): void {
    this.bar.stop();
  }
}
