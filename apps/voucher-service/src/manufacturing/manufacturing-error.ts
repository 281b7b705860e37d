import { ProblemException } from '@ztp/platform';

/** Why a manufacturing admin request was refused. Controllers turn these into RFC 7807 problems. */
export type ManufacturingErrorCode =
  | 'tenant-not-found'
  | 'not-a-manufacturer'
  | 'pki-exists'
  | 'pki-missing'
  | 'station-not-found'
  | 'station-name-taken'
  | 'invalid-request';

const STATUS: Record<ManufacturingErrorCode, number> = {
  'tenant-not-found': 404,
  'not-a-manufacturer': 409,
  'pki-exists': 409,
  'pki-missing': 404,
  'station-not-found': 404,
  'station-name-taken': 409,
  'invalid-request': 400,
};

const TITLE: Record<ManufacturingErrorCode, string> = {
  'tenant-not-found': 'Tenant not found',
  'not-a-manufacturer': 'Tenant is not a manufacturer',
  'pki-exists': 'Manufacturer PKI already initialised',
  'pki-missing': 'Manufacturer PKI not initialised',
  'station-not-found': 'Station not found',
  'station-name-taken': 'Station name already used',
  'invalid-request': 'Invalid request',
};

export class ManufacturingError extends Error {
  override readonly name = 'ManufacturingError';
  constructor(
    readonly code: ManufacturingErrorCode,
    message: string,
  ) {
    super(message);
  }

  toProblem(): ProblemException {
    return new ProblemException(STATUS[this.code], {
      type: `https://ztp.dev/problems/${this.code}`,
      title: TITLE[this.code],
      detail: this.message,
    });
  }
}

/** Runs a controller's call, turning a ManufacturingError into its problem response. */
export async function asProblem<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ManufacturingError) throw err.toProblem();
    throw err;
  }
}
