// What every command handler gets: the global options, a typed way to declare a command, and a database opened
// and closed around its work.
import type { Knex } from 'knex';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveDatabaseTarget } from '../config/database.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { EXIT_OK, type ExitCode } from './errors.ts';
import type { Format } from './output.ts';
import type { LogFormat } from '../log.ts';

/** Options defined once in main.ts and accepted by every command. */
export interface GlobalArgs {
  db?: string;
  dataDir?: string;
  format: Format;
  debug: boolean;
  /** IANA zone for times in table/csv output; already validated. */
  tz?: string;
  /** How a long-running command (serve) logs: text or json (else RADTRACK_LOG_FORMAT). */
  logFormat?: LogFormat;
}

/** A subcommand of radtrack (or of a command group such as `nas`). */
export interface CommandSpec<U> {
  /** The name, then its positionals: `add <ip>`. */
  command: string;
  describe: string;
  builder?: (y: Argv<GlobalArgs>) => Argv<U>;
  handler: (argv: ArgumentsCamelCase<U>) => void | Promise<void>;
}

/**
 * A command whose handler gets exactly what its builder declares: U is inferred from the builder's options, so
 * there is no hand-written args interface to disagree with them (yargs' types key options as spelled,
 * `dry-run`, and only ArgumentsCamelCase adds `dryRun`; an interface with `dryRun` never matches without a cast).
 */
export function defineCommand<U = GlobalArgs>(spec: CommandSpec<U>): CommandModule<GlobalArgs, U> {
  return spec;
}

/** The argv a builder gives its handler, for helpers that take part of it. */
export type ArgvOf<B> = B extends (y: Argv<GlobalArgs>) => Argv<infer U> ? ArgumentsCamelCase<U> : never;

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
