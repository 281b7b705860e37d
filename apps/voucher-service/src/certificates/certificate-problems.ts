import { ProblemException } from '@ztp/platform';

const BASE = 'https://ztp.dev/problems';

export function certificateProblem(
  status: number,
  type: string,
  title: string,
  detail: string,
): ProblemException {
  return new ProblemException(status, { type: `${BASE}/${type}`, title, detail });
}
