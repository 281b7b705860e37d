import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Parsers for single environment values. Each one accepts the raw string (or undefined when the
 * variable is unset or empty) and reports a problem as a short phrase ("must be ...") that
 * `loadConfig` prefixes with the variable name and suffixes with the offending value.
 */

type RawValue = string | undefined;

function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** One of a fixed set of words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): T[number] => {
      if (raw === undefined) return fallback;
      if ((values as readonly string[]).includes(raw)) return raw as T[number];
      return fail(ctx, `must be one of ${values.join(', ')}`);
    });
}

/** A whole number in [min, max]. */
export function integer(min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): number => {
      if (raw === undefined) return fallback;
      const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        return fail(ctx, `must be an integer between ${min} and ${max}`);
      }
      return value;
    });
}

/** A TCP port a server can listen on. */
export function port(fallback: number) {
  return integer(1, 65535, fallback);
}

/** An absolute URL whose scheme is one of `protocols` (given without the colon). */
export function url(protocols: readonly string[]) {
  const expected = protocols.map((p) => `${p}://`).join(' or ');
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): string | undefined => {
      if (raw === undefined) return undefined;
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        return fail(ctx, `must be a ${expected} URL`);
      }
      if (!protocols.includes(parsed.protocol.slice(0, -1)) || parsed.hostname === '') {
        return fail(ctx, `must be a ${expected} URL`);
      }
      return raw;
    });
}

/** An http(s) base URL, normalised without a trailing slash. */
export function baseUrl() {
  return url(['http', 'https']).transform((raw) => raw?.replace(/\/+$/, ''));
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An interface address or host name to bind to. */
export function host() {
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): string | undefined => {
      if (raw === undefined) return undefined;
      if (isIP(raw) !== 0 || HOSTNAME.test(raw)) return raw;
      return fail(ctx, 'must be an IP address or host name');
    });
}

/** A non-empty string. */
export function text(fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw: RawValue) => raw ?? fallback);
}

/** Strict standard base64 of exactly `length` bytes. */
export function base64Bytes(length: number) {
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): string | undefined => {
      if (raw === undefined) return undefined;
      const canonical = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(raw);
      const decoded = canonical ? Buffer.from(raw, 'base64') : undefined;
      if (decoded === undefined || decoded.length !== length) {
        return fail(ctx, `must be base64 of exactly ${length} bytes`);
      }
      return raw;
    });
}

/** A name of letters, digits, dash and underscore (used in queue and key prefixes). */
export function identifier(fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): string => {
      if (raw === undefined) return fallback;
      if (/^[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(raw)) return raw;
      return fail(ctx, 'must start with a letter and contain only letters, digits, "-" and "_" (max 40)');
    });
}

/** Any non-empty string, or undefined when unset. */
export function optionalText() {
  return z
    .string()
    .optional()
    .transform((raw: RawValue) => raw);
}

/** Exactly `length` bytes written as hex (either case), normalised to lower case. */
export function hexBytes(length: number) {
  return z
    .string()
    .optional()
    .transform((raw: RawValue, ctx): string | undefined => {
      if (raw === undefined) return undefined;
      if (new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(raw)) return raw.toLowerCase();
      return fail(ctx, `must be ${length} bytes as ${length * 2} hex digits`);
    });
}
