import { ProblemException } from '@ztp/platform';

const BASE = 'https://ztp.dev/problems';

export function configurationProblem(
  status: number,
  type: string,
  title: string,
  detail: string,
): ProblemException {
  return new ProblemException(status, { type: `${BASE}/${type}`, title, detail });
}

/** 403: configuration plans, bundles and the owner CA belong to owner tenants. */
export const notAnOwner = () =>
  configurationProblem(
    403,
    'not-an-owner',
    'Owner tenants only',
    'onboarding configuration is for owner tenants',
  );
