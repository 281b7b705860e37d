import { type ApiBodyOptions } from '@nestjs/swagger';
import { pemToDerAll, PkiError } from '@ztp/pki';
import { ProblemException } from '@ztp/platform';
import { sztp } from '@ztp/protocol';
import { z } from 'zod';

/** RFC 7807 problems of the SZTP ledger API (types under https://ztp.dev/problems/sztp-*). */
export function sztpProblem(status: number, slug: string, title: string, detail: string): ProblemException {
  return new ProblemException(status, { type: `https://ztp.dev/problems/sztp-${slug}`, title, detail });
}

export const notFound = (what: string, id: string) =>
  new ProblemException(404, {
    type: 'https://ztp.dev/problems/not-found',
    title: 'Not found',
    detail: `No ${what} ${id}`,
  });

/** The body (or query) checked against `schema`; a 400 problem listing every bad field otherwise. */
export function parseRequest<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request body',
): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const describe = (issue: z.core.$ZodIssue) =>
    issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
  throw new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-request',
    title: 'Invalid request',
    detail: `The ${what} is invalid: ${result.error.issues.map(describe).join('; ')}`,
    extensions: {
      errors: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  });
}

type SchemaObject = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/** The OpenAPI 3.0 schema of a request schema. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as SchemaObject;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Path ids that are not UUIDs are simply not found (404), like another tenant's. */
export function uuidOr404(value: string, what: string): string {
  if (!UUID.test(value)) throw notFound(what, value);
  return value;
}

/** PEM text with one or more certificates, each a valid X.509 certificate (DER out). */
export function certificatesFromPem(
  pem: string,
  field: string,
  options: { atLeast?: number } = {},
): Uint8Array[] {
  let ders: Uint8Array[];
  try {
    ders = pemToDerAll(pem);
    for (const der of ders) sztp.parseCertificate(der);
  } catch (err) {
    if (err instanceof PkiError || err instanceof sztp.SztpVerificationError) {
      throw sztpProblem(400, 'invalid-certificate', 'Invalid certificate', `${field}: ${err.message}`);
    }
    throw err;
  }
  if (ders.length < (options.atLeast ?? 1)) {
    throw sztpProblem(
      400,
      'invalid-certificate',
      'Invalid certificate',
      `${field}: no PEM CERTIFICATE block`,
    );
  }
  return ders;
}

/** Standard base64 of binary content (scripts, configuration, CMS). */
export const base64Field = (description: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'must be base64')
    .describe(description);

export const toBytes = (b64: string) => Buffer.from(b64.replace(/\s+/g, ''), 'base64');
export const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');
export const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
