import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// Counters are 64-bit (Gigawords): int8 comes back as bigint everywhere, decided once, here.
// sum(bigint) is numeric and stays a string; queries cast it back to int8 where a counter is wanted.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => BigInt(v));

export type PgConnection = string | { host: string; port?: number; user: string; database: string };

export function createKnex(connection: PgConnection, poolMax = 4): Knex {
  return knexFactory({
    client: 'pg',
    connection,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
    // knex would print pool and connection errors to the console itself; every one of them also rejects a
    // query, which the caller handles (the listener backs off, the CLI prints one line).
    log: { warn() {}, error() {}, deprecate() {}, debug() {} },
  });
}

/** The connection for an embedded database served on a unix socket in `socketDir`. */
export function embeddedConnection(socketDir: string): PgConnection {
  return { host: socketDir, port: 5432, user: 'postgres', database: 'postgres' };
}
