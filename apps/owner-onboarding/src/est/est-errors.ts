import { ProblemException } from '@ztp/platform';

/** Why an EST request was refused: the HTTP status (RFC 7030 4.2.3) and a problem type. */
export class EstRefusal extends Error {
  override readonly name = 'EstRefusal';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  toProblem(): ProblemException {
    return new ProblemException(this.status, {
      type: `https://ztp.dev/problems/est-${this.code}`,
      title: TITLES[this.status],
      detail: this.message,
    });
  }
}

const TITLES: Record<EstRefusal['status'], string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  415: 'Unsupported Media Type',
};
