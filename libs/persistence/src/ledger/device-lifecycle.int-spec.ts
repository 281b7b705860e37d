import { randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataSource } from '../data-source';
import { createTestDatabase, type TestDatabase } from '../testing/create-test-database';

/** The device state machine as the database enforces it (migration 1795231000000). */
let database: TestDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

async function device(lifecycle: string): Promise<string> {
  const guid = randomBytes(16).toString('hex');
  const rows: { id: string }[] = await dataSource.query(
    `INSERT INTO device (device_info, guid, original_guid, lifecycle) VALUES ('d', $1, $1, $2) RETURNING id`,
    [guid, lifecycle],
  );
  return rows[0]!.id;
}

const move = (id: string, to: string, disabledFrom: string | null = null) =>
  dataSource.query(`UPDATE device SET lifecycle = $2, disabled_from = $3 WHERE id = $1`, [
    id,
    to,
    disabledFrom,
  ]);

const state = async (id: string) =>
  (
    (await dataSource.query(`SELECT lifecycle, disabled_from FROM device WHERE id = $1`, [id])) as {
      lifecycle: string;
      disabled_from: string | null;
    }[]
  )[0]!;

describe('device lifecycle (database-guarded)', () => {
  it('a device starts manufactured or owned, never further along', async () => {
    await device('manufactured');
    await device('owned');
    for (const start of ['onboarded', 'disabled', 'decommissioned', 'provisioned'])
      await expect(device(start)).rejects.toThrow(/device_lifecycle|starts manufactured or owned|check/);
  });

  it('allows manufactured -> owned -> onboarded, disable and enable back, decommission', async () => {
    const id = await device('manufactured');
    await move(id, 'owned');
    await move(id, 'onboarded');
    await move(id, 'disabled', 'onboarded');
    expect(await state(id)).toEqual({ lifecycle: 'disabled', disabled_from: 'onboarded' });
    await move(id, 'onboarded');
    expect(await state(id)).toEqual({ lifecycle: 'onboarded', disabled_from: null });
    await move(id, 'decommissioned');
    expect((await state(id)).lifecycle).toBe('decommissioned');
  });

  it('resale: an onboarded device goes back to owned (held by an owner that has not onboarded it)', async () => {
    const id = await device('owned');
    await move(id, 'onboarded');
    await move(id, 'owned');
    await move(id, 'onboarded');
    expect((await state(id)).lifecycle).toBe('onboarded');
  });

  it('refuses every move the table does not list: skipping owned, going back, leaving decommissioned', async () => {
    const manufactured = await device('manufactured');
    await expect(move(manufactured, 'onboarded')).rejects.toThrow(/manufactured -> onboarded is not allowed/);
    const onboarded = await device('owned');
    await move(onboarded, 'onboarded');
    await expect(move(onboarded, 'manufactured')).rejects.toThrow(/onboarded -> manufactured is not allowed/);
    await move(onboarded, 'decommissioned');
    for (const to of ['manufactured', 'owned', 'onboarded'])
      await expect(move(onboarded, to)).rejects.toThrow(/decommissioned -> \w+ is not allowed/);
    await expect(move(onboarded, 'disabled', 'onboarded')).rejects.toThrow(/not allowed/);
    expect((await state(onboarded)).lifecycle).toBe('decommissioned');
  });

  it('a disabled device goes back only to the state it left, and disabled always says which', async () => {
    const id = await device('owned');
    await expect(move(id, 'disabled')).rejects.toThrow(/device_disabled_from_check/);
    await move(id, 'disabled', 'owned');
    await expect(move(id, 'onboarded')).rejects.toThrow(/goes back to owned, not onboarded/);
    await expect(move(id, 'owned', 'owned')).rejects.toThrow(/device_disabled_from_check/);
    await move(id, 'owned');
    expect(await state(id)).toEqual({ lifecycle: 'owned', disabled_from: null });
  });

  it('two racing moves from the same state: the guarded UPDATE lets exactly one win', async () => {
    const id = await device('owned');
    const guarded = (to: string, from: string) =>
      dataSource.query(
        `UPDATE device SET lifecycle = $2, disabled_from = CASE WHEN $2 = 'disabled' THEN $3 END
          WHERE id = $1 AND lifecycle = $3 RETURNING id`,
        [id, to, from],
      ) as Promise<[unknown[], number]>;
    const results = await Promise.allSettled([
      guarded('onboarded', 'owned'),
      guarded('decommissioned', 'owned'),
    ]);
    const moved = results.filter((r) => r.status === 'fulfilled' && r.value[0].length === 1);
    expect(moved).toHaveLength(1);
    expect(['onboarded', 'decommissioned']).toContain((await state(id)).lifecycle);
  });
});
