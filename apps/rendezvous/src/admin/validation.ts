import { type ApiBodyOptions } from '@nestjs/swagger';
import { ProblemException } from '@ztp/platform';
import { z } from 'zod';

type SchemaObject = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/** Validates a body or query with zod; failures are 400 problems listing every bad field. */
export function parseRequest<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request body',
): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-request',
    title: 'Invalid request',
    detail: `The ${what} is invalid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    extensions: { errors: issues },
  });
}

/** The OpenAPI 3.0 schema of a zod schema, so one schema validates and documents. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as SchemaObject;
}

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
