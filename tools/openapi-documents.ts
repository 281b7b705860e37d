import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOpenApiDocument, serializeOpenApiDocument } from '@ztp/platform';
import { OWNER_ONBOARDING_APP } from '../apps/owner-onboarding/src/owner-onboarding.app';
import { RENDEZVOUS_APP } from '../apps/rendezvous/src/rendezvous.app';
import { VOUCHER_SERVICE_APP } from '../apps/voucher-service/src/voucher-service.app';

const APPS = [RENDEZVOUS_APP, VOUCHER_SERVICE_APP, OWNER_ONBOARDING_APP];

/**
 * Writes openapi/<app>.json for every app into `directory`, built from the controllers' metadata
 * (no database, no queue). Returns the file names written.
 */
export async function writeOpenApiDocuments(directory: string): Promise<string[]> {
  mkdirSync(directory, { recursive: true });
  const written: string[] = [];
  for (const app of APPS) {
    const file = `${app.name}.json`;
    writeFileSync(join(directory, file), serializeOpenApiDocument(await createOpenApiDocument(app)));
    written.push(file);
  }
  return written;
}
