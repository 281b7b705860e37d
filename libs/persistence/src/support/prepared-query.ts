import { type DataSource } from 'typeorm';

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  release(): void;
}

interface PgPool {
  connect(): Promise<PgClient>;
}

const clientIds = new WeakMap<PgClient, number>();
let nextClientId = 1;

/**
 * A hot-path statement as a named prepared statement on the data source's pg pool: PostgreSQL (and
 * PGlite) then parses and plans it once per connection instead of on every request (most of the
 * cost of the SZTP device context, a four-table join; a large share of TO1's and TO2's small
 * statements), and the call skips TypeORM's query runner. `name` must be unique per `text`. Names
 * are made unique per connection because the embedded database serves every connection from one
 * shared session, where a name prepared by one connection would collide with another's.
 */
export async function preparedQuery<Row>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (pool === undefined) return dataSource.query(text, values);
  const client = await pool.connect();
  try {
    let id = clientIds.get(client);
    if (id === undefined) {
      id = nextClientId++;
      clientIds.set(client, id);
    }
    const result = await client.query({ name: `${name}-${id}`, text, values });
    return result.rows as Row[];
  } finally {
    client.release();
  }
}
