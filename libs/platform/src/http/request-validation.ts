import { type ApiBodyOptions } from '@nestjs/swagger';
import { z } from 'zod';
import { ProblemException } from './problem-details';

type SchemaObject = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/**
 * Request validation with zod for every app's REST routes: the same schema validates the body or
 * query and documents it in OpenAPI (`openApiSchema`). Failures are 400 problems listing every bad
 * field.
 */
export function parseRequest<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request body',
): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-request',
    title: 'Invalid request',
    detail: `The ${what} is invalid: ${result.error.issues.map(describeIssue).join('; ')}`,
    extensions: {
      errors: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** The OpenAPI 3.0 schema of a zod schema (request side by default). */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** UUID path parameters: anything else is simply not found (404), like another tenant's ids. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
