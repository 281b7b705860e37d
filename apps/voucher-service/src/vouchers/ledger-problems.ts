import { ProblemException } from '@ztp/platform';

/** Problems of the voucher ledger API (RFC 7807 types under https://ztp.dev/problems/). */
export function ledgerProblem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extensions?: Record<string, unknown>,
): ProblemException {
  return new ProblemException(status, {
    type: `https://ztp.dev/problems/${slug}`,
    title,
    detail,
    extensions,
  });
}

export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown): boolean {
  return (err as { driverError?: { code?: string } } | null)?.driverError?.code === UNIQUE_VIOLATION;
}
