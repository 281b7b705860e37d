import { ProblemException } from '@ztp/platform';

export function badRequest(detail: string): ProblemException {
  return new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-request',
    title: 'Invalid request',
    detail,
  });
}

export function notFound(detail: string): ProblemException {
  return new ProblemException(404, {
    type: 'https://ztp.dev/problems/not-found',
    title: 'Not found',
    detail,
  });
}
