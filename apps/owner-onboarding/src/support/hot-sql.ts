import { createHash } from 'node:crypto';
import { preparedQuery } from '@ztp/persistence';
import { type DataSource } from 'typeorm';
import { sqlRows } from './sql-rows';

/** Statement names by text. */
const names = new Map<string, string>();

/**
 * Runs one of the TO2 hot path's statements as a prepared statement (see preparedQuery), named
 * after its text, so texts must come from code (a few fixed shapes), never from data. Returns the
 * rows, for UPDATE ... RETURNING too.
 */
export async function hotQuery<Row>(dataSource: DataSource, text: string, values: unknown[]): Promise<Row[]> {
  let name = names.get(text);
  if (!name) {
    name = `to2_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    names.set(text, name);
  }
  return sqlRows<Row>(await preparedQuery<Row>(dataSource, name, text, values));
}
