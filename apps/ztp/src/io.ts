import { readFileSync, writeFileSync } from 'node:fs';

/** Where the CLI reads and writes: the real process in main.ts, buffers in tests. */
export interface CliIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: string | Uint8Array): void;
}

/** A failure to report on stderr and exit with `exitCode` (1 unless said otherwise). */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function describeFsError(err: unknown): string {
  return err instanceof Error ? err.message.replace(/^[A-Z]+: /, '') : String(err);
}

export const processIo: CliIo = {
  stdout: (data) => process.stdout.write(data),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (err) {
      throw new CliFailure(`cannot read ${path}: ${describeFsError(err)}`);
    }
  },
  writeFile: (path, data) => {
    try {
      writeFileSync(path, data);
    } catch (err) {
      throw new CliFailure(`cannot write ${path}: ${describeFsError(err)}`);
    }
  },
};
