import knexFactory, { type Knex } from 'knex';
import './int8.ts';

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
