import { createHash } from 'node:crypto';
import { type NamedStatement, queryNamed } from '@ztp/persistence';
import { type DataSource } from 'typeorm';
import { sqlRows } from './sql-rows';

const statements = new Map<string, NamedStatement>();

/**
 * Runs one of the TO2 hot path's statements, as a named prepared statement on a PostgreSQL server
 * (`named`: parsed and planned once per connection, not per call, and past TypeORM's query
 * runner), as a plain query on the embedded database (whose one session every connection shares).
 * The name is derived from the text, so texts must come from code (a few fixed shapes), never
 * from data. Returns the rows, for UPDATE ... RETURNING too.
 */
export async function hotQuery<Row>(
  dataSource: DataSource,
  named: boolean,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  let statement = statements.get(text);
  if (!statement) {
    statement = { name: `to2_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`, text };
    statements.set(text, statement);
  }
  return sqlRows<Row>(await queryNamed<Row>(dataSource, statement, values, named));
}
