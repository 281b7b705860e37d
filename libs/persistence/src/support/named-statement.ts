import { type Pool } from 'pg';
import { type DataSource } from 'typeorm';

/** A hot path's SQL with a name: PostgreSQL parses and plans it once per connection, not per call. */
export interface NamedStatement {
  /** Unique per text in the process (pg keys its per-connection cache by name). */
  readonly name: string;
  readonly text: string;
}

/**
 * Runs `statement` as a named prepared statement on a PostgreSQL server, or as a plain query when
 * `named` is false. The embedded database serves every connection from one PostgreSQL session, so
 * two connections preparing the same name would collide there: pass
 * `config.database.kind === 'postgres'`. Rows come back parsed as `dataSource.query` parses them
 * (the same pg pool).
 */
export async function queryNamed<Row>(
  dataSource: DataSource,
  statement: NamedStatement,
  values: unknown[],
  named: boolean,
): Promise<Row[]> {
  if (!named) return dataSource.query(statement.text, values);
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const result = await pool.query({ name: statement.name, text: statement.text, values });
  return result.rows as Row[];
}
