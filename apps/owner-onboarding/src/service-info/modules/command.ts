import { asBytes, asInt, concatBytes } from '@ztp/protocol';
import { type OwnerStepHandler, WAITING } from './owner-module';

/** Output kept per stream for the delivery report (the tail when longer). */
const MAX_OUTPUT = 16 * 1024;

function append(data: Record<string, unknown>, stream: string, chunk: Uint8Array): void {
  const previous = (data[stream] as Uint8Array | undefined) ?? new Uint8Array(0);
  const joined = concatBytes([previous, chunk]);
  data[stream] = joined.length > MAX_OUTPUT ? joined.slice(joined.length - MAX_OUTPUT) : joined;
}

const text = (data: Record<string, unknown>, stream: string) =>
  Buffer.from((data[stream] as Uint8Array | undefined) ?? new Uint8Array(0))
    .toString('utf8')
    .trim();

/** fdo.command: stdout/stderr chunks while it runs, then `exitcode`. */
export const commandHandler: OwnerStepHandler = {
  async onMessage(step, data, message, body) {
    switch (message) {
      case 'stdout':
      case 'stderr':
        append(data, message, asBytes(body, `fdo.command:${message}`));
        return WAITING;
      case 'exitcode': {
        const code = asInt(body, 'fdo.command:exitcode');
        const stdout = text(data, 'stdout');
        const stderr = text(data, 'stderr');
        const detail = [`exit code ${code}`, stdout && `stdout: ${stdout}`, stderr && `stderr: ${stderr}`]
          .filter(Boolean)
          .join('; ');
        if (code === 0 || (step.await.kind === 'command' && step.await.mayFail))
          return { kind: 'done', detail };
        return { kind: 'failed', detail: `${step.description}: ${detail}` };
      }
      default:
        return WAITING;
    }
  },
};
