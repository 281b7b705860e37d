import { type z } from 'zod';
import { ManufacturingError } from './manufacturing-error';

/** The request body checked against `schema`; a 400 problem naming the first wrong field otherwise. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ManufacturingError('invalid-request', `${path}${issue.message}`);
}
