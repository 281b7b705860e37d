import { DeviceCredentialError, FdoErrorReply, FdoTransportError } from '@ztp/fdo-client';

/** One line per failure kind, so failures group well in summaries: "FDO 1: DI refused: ...". */
export function describeError(err: unknown): string {
  if (err instanceof FdoErrorReply) return `FDO ${err.code}: ${err.error.message}`;
  if (err instanceof FdoTransportError) return `transport: ${err.message}`;
  if (err instanceof DeviceCredentialError) return `credential: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
