import type { Knex } from 'knex';
import type { DatabaseTarget } from '../../src/config/database.ts';
import { readLock } from '../../src/db/embedded/lock.ts';
import { createKnex, embeddedConnection, type PgConnection } from '../../src/db/knex.ts';
import { IngestConnection } from '../../src/db/sql/ingest.ts';

/** The database of this test run, as the application would be told about it. */
export function testTarget(): DatabaseTarget {
  const url = process.env.RADTRACK_TEST_DB_URL;
  if (url) return { kind: 'postgres', url };
  const dataDir = process.env.RADTRACK_TEST_DATA_DIR;
  if (!dataDir) throw new Error('test: no test database (run through npm test, or mocha with test/setup/global.ts)');
  return { kind: 'embedded', dataDir };
}

export function testConnection(): PgConnection {
  const target = testTarget();
  if (target.kind === 'postgres') return target.url;
  const holder = readLock(target.dataDir);
  if (!holder) throw new Error('test: the embedded test database is not running');
  return embeddedConnection(holder.socketDir);
}

/** Arguments that point a spawned `radtrack` at the test database. */
export function cliDbArgs(): string[] {
  const target = testTarget();
  return target.kind === 'postgres' ? ['--db', target.url] : ['--data-dir', target.dataDir];
}

let shared: Knex | null = null;

/** One pool shared by the tests of a run. */
export function testKnex(): Knex {
  shared ??= createKnex(testConnection(), 4);
  return shared;
}

export async function closeTestKnex(): Promise<void> {
  if (shared) await shared.destroy();
  shared = null;
}

const TABLES = ['radacct_imported', 'radacct_import_progress', 'job_locks', 'usage_hourly', 'usage_monthly', 'usage_deltas', 'journal', 'journal_legacy', 'sessions', 'session_spans', 'accounts', 'ports', 'unknown_sources', 'nas'];

export async function truncateAll(knex: Knex = testKnex()): Promise<void> {
  await knex.raw(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`);
}

/** A real outage of the postgres test database: the server refuses and drops its connections until `end()`. */
export interface DatabaseOutage {
  begin(): Promise<void>;
  end(): Promise<void>;
  /** Ends the outage if it is on, and closes the admin connection. */
  close(): Promise<void>;
}

export function databaseOutage(): DatabaseOutage {
  const dbName = new URL(process.env.RADTRACK_TEST_DB_URL!).pathname.slice(1);
  const admin = createKnex(process.env.RADTRACK_TEST_SERVER_URL!, 1);
  const end = async () => {
    await admin.raw(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
  };
  return {
    async begin() {
      await admin.raw(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
      await admin.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?`, [dbName]);
    },
    end,
    async close() {
      await end();
      await admin.destroy();
    },
  };
}

/**
 * An empty database and the batch transaction's own connection to it, with the month partitions of [from, to]
 * made up front (a batch would make them itself, on its retry path).
 */
export async function openIngestOnEmptyDatabase(from: Date, to: Date): Promise<IngestConnection> {
  await truncateAll();
  const conn = await IngestConnection.open(testConnection());
  await conn.ensurePartitions(from, to);
  return conn;
}
