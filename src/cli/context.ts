// What every command handler gets: the global options, and a database opened and closed around its work.
import type { Knex } from 'knex';
import { resolveDatabaseTarget } from '../config/database.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { EXIT_OK, type ExitCode } from './errors.ts';
import type { Format } from './output.ts';

/** Options defined once in main.ts and accepted by every command. */
export interface GlobalArgs {
  db?: string;
  dataDir?: string;
  format: Format;
  debug: boolean;
  /** IANA zone for times in table/csv output; already validated. */
  tz?: string;
}

export interface WithDatabaseOptions {
  /** false: do not apply pending migrations on open (the migrate command reports them itself). */
  migrate?: boolean;
  poolMax?: number;
}

/**
 * Opens the database chosen by --db / --data-dir / the environment, runs `fn`, and always closes it.
 * The exit status is what `fn` returns (default 0); errors propagate to main.ts, which prints one line.
 */
export async function withDatabase(
  argv: GlobalArgs,
  role: string,
  fn: (knex: Knex, db: Database) => Promise<ExitCode | void>,
  opts: WithDatabaseOptions = {},
): Promise<void> {
  const target = resolveDatabaseTarget({ db: argv.db, dataDir: argv.dataDir });
  const db = await openDatabase(target, { role, poolMax: opts.poolMax ?? 2, migrate: opts.migrate });
  try {
    process.exitCode = (await fn(db.knex, db)) ?? EXIT_OK;
  } finally {
    await db.close();
  }
}
