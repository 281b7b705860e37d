import { describe, expect, it } from 'vitest';
import { ProblemException } from '@ztp/platform';
import { decodeCursor, encodeCursor, pageOf } from './cursor';

describe('keyset cursors', () => {
  const cursor = { createdAt: '2026-11-21T01:02:03.123456Z', id: '0b5a6c1e-7d2f-4a8b-9c3d-1e2f3a4b5c6d' };

  it('round-trips with microseconds', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it('refuses anything else with a 400 problem', () => {
    for (const bad of [
      'garbage',
      Buffer.from('[1,2]').toString('base64url'),
      encodeCursor({ ...cursor, id: 'x' }),
    ])
      expect(() => decodeCursor(bad)).toThrow(ProblemException);
  });

  it('pages rows and points at the last one when more follow', () => {
    const rows = [1, 2, 3].map((n) => ({ n, ts: cursor.createdAt, id: cursor.id }));
    const page = pageOf(
      rows,
      2,
      (row) => ({ createdAt: row.ts, id: row.id }),
      (row) => row.n,
    );
    expect(page.items).toEqual([1, 2]);
    expect(decodeCursor(page.nextCursor!)).toEqual(cursor);
    expect(
      pageOf(
        rows,
        3,
        () => cursor,
        (row) => row.n,
      ).nextCursor,
    ).toBeNull();
  });
});
