import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { ProblemException } from '@ztp/platform';
import { type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { z } from 'zod';

/**
 * Keyset pagination position: the sort key of the last row of a page. `createdAt` is PostgreSQL's
 * own text of the timestamp (microseconds; a JS Date would round them away and skip rows), made
 * by CURSOR_TIMESTAMP_SQL.
 */
export interface Cursor {
  createdAt: string;
  id: string;
}

/** SQL for the cursor timestamp of column `column` (full precision, UTC). */
export const cursorTimestampSql = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof createdAt === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(createdAt) &&
      typeof id === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)
    )
      return { createdAt, id };
  } catch {
    // reported below
  }
  throw new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-cursor',
    title: 'Invalid cursor',
    detail: 'use the nextCursor of a previous page',
  });
}

/** A page of results and where the next one starts (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from up to `limit + 1` rows fetched newest first. */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  cursorOf: (row: R) => Cursor,
  view: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && items.length > 0 ? encodeCursor(cursorOf(items.at(-1)!)) : null,
  };
}

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;

/** The query parameters of every paged list: `cursor` (a previous page's nextCursor) and `limit`. */
export const pageQuery = {
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
};

/** `pageQuery` alone, for lists with no filter. */
export const pageQuerySchema = z.strictObject(pageQuery);

/** The OpenAPI description of `pageQuery`, for a list endpoint. */
export function ApiPageQuery(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' }),
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT },
    }),
  );
}

/**
 * One page of `builder`'s rows (alias `alias`, with `created_at` and `id` columns), newest first,
 * after the cursor: keyset pagination, the same for every list of the API.
 */
export async function keysetPage<E extends ObjectLiteral, T>(
  builder: SelectQueryBuilder<E>,
  alias: string,
  page: { cursor?: string; limit: number },
  view: (row: E) => T,
  key: { time: string; id: string; idOf: (row: E) => string } = {
    time: 'created_at',
    id: 'id',
    idOf: (row) => String(row['id']),
  },
): Promise<Page<T>> {
  const cursor = decodeCursor(page.cursor);
  const [time, id] = [`${alias}.${key.time}`, `${alias}.${key.id}`];
  builder
    .addSelect(cursorTimestampSql(time), 'cursor_ts')
    .orderBy(time, 'DESC')
    .addOrderBy(id, 'DESC')
    .limit(page.limit + 1);
  if (cursor)
    builder.andWhere(`(${time}, ${id}) < (:cursorTs::timestamptz, :cursorId::uuid)`, {
      cursorTs: cursor.createdAt,
      cursorId: cursor.id,
    });
  const { entities, raw } = await builder.getRawAndEntities<{ cursor_ts: string }>();
  const rows = entities.map((entity, index) => ({ entity, ts: raw[index]!.cursor_ts }));
  return pageOf(
    rows,
    page.limit,
    (row) => ({ createdAt: row.ts, id: key.idOf(row.entity) }),
    (row) => view(row.entity),
  );
}
