import { ProblemException } from '@ztp/platform';

const PROBLEM_BASE = 'https://ztp.dev/problems';

/** 401: no credential, or one that is unknown, expired, revoked or does not verify. */
export function unauthenticated(detail: string): ProblemException {
  return new ProblemException(401, {
    type: `${PROBLEM_BASE}/unauthenticated`,
    title: 'Authentication required',
    detail,
  });
}

/** 403: a valid credential without the role the route needs. */
export function forbidden(detail: string): ProblemException {
  return new ProblemException(403, { type: `${PROBLEM_BASE}/forbidden`, title: 'Forbidden', detail });
}

/**
 * 404 for a resource that does not exist or belongs to another tenant: the two are
 * indistinguishable, so a tenant learns nothing about others' ids.
 */
export function notFound(what: string, id: string): ProblemException {
  return new ProblemException(404, {
    type: `${PROBLEM_BASE}/not-found`,
    title: 'Not found',
    detail: `No ${what} ${id}`,
  });
}
