/** Where the simulator writes: the real process in main.ts, buffers in tests. */
export interface SimIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars) rather than a pipe or file (JSON lines). */
  readonly interactive: boolean;
}

export const processIo: SimIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  get interactive() {
    return Boolean(process.stderr.isTTY);
  },
};

/** A failure to report on stderr and exit with `exitCode`. */
export class SimFailure extends Error {
  override readonly name = 'SimFailure';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
