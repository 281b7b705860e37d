import { type DataSource } from 'typeorm';

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * A hot-path statement as a named prepared statement: PostgreSQL then parses and plans it once per
 * connection instead of on every request (most of the cost of the SZTP device context, a four-table
 * join; a large share of TO1's and TO2's small statements). The connection comes from TypeORM's
 * public query-runner API (`connect()` resolves to the pooled `pg` client), and the statement goes
 * straight to that client, which prepares `name` on first use per connection. `name` must be
 * unique per `text`.
 */
export async function preparedQuery<Row>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    const client = (await queryRunner.connect()) as PgClient;
    const result = await client.query({ name, text, values });
    return result.rows as Row[];
  } finally {
    await queryRunner.release();
  }
}
