import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Knex } from 'knex';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Migrations are named without their extension, so a database migrated from the .ts sources and
 * one migrated from compiled .js share one history (docs/stack-notes.md §3).
 */
export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return readdirSync(MIGRATIONS_DIR)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
  },
  getMigrationName(file) {
    return file.replace(/\.(ts|js)$/, '');
  },
  async getMigration(file) {
    return import(pathToFileURL(join(MIGRATIONS_DIR, file)).href);
  },
};

export const migrationConfig: Knex.MigratorConfig = { migrationSource };

// Two commands started at once on a fresh database both see no knex_migrations table and both create it;
// the loser fails with duplicate_table (or a unique violation in the catalog). The winner migrates; the
// loser's second attempt then waits on knex's migration lock and finds nothing left to do.
const CREATE_RACE_SQLSTATES = new Set(['42P07', '23505']);

/**
 * knex creates its bookkeeping tables on first use with check-then-create, and two commands started at once
 * on a fresh database can both insert a row into knex_migrations_lock; knex then reports "Migration table
 * is already locked" forever. Creating them here, with one lock row under a fixed key, makes that
 * impossible (and repairs a database where it already happened).
 */
async function ensureMigrationTables(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS knex_migrations (
      id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz);
    CREATE TABLE IF NOT EXISTS knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);
    INSERT INTO knex_migrations_lock (index, is_locked) VALUES (1, 0) ON CONFLICT (index) DO NOTHING;
    DELETE FROM knex_migrations_lock WHERE index <> 1;
  `);
}

/** Applies pending migrations; returns the names applied. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ensureMigrationTables(knex);
      const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
      return applied;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const lockBusy = err instanceof Error && err.name === 'MigrationLocked';
      if (attempt >= 5 || !(CREATE_RACE_SQLSTATES.has(code) || lockBusy)) throw err;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}

/** Migrations this code has and the database has not applied, by name (`radtrack health`). */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(migrationConfig)) as [unknown[], string[]];
  return pending.map((file) => migrationSource.getMigrationName(file));
}
