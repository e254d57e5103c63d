// `radtrack import radacct --from URL` (docs/cli.md "import radacct"): sessions, accounts, NASes and usage from a
// FreeRADIUS radacct table in another PostgreSQL database. The work is src/import/radacct.ts. The URL may hold a
// password: it is never printed (main.ts redacts it from every error line, and the summary names the source
// by host, port and database only).
import { createKnex } from '../../db/knex.ts';
import { DEFAULT_IMPORT_PAGE, importRadacct, ImportSourceError, sourceKey } from '../../import/radacct.ts';
import { parsePositiveInt } from '../args.ts';
import { defineCommand, withDatabase } from '../context.ts';
import { CliError, cleanMessage, UsageError } from '../errors.ts';
import { printObject, progress } from '../output.ts';

const MAX_PAGE = 10_000;

/** --from: a postgres:// or postgresql:// URL naming a database; the message never repeats the URL. */
export function parseSourceUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError('--from: not a URL; give the FreeRADIUS database as postgres://USER@HOST:PORT/DATABASE');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new UsageError(`--from: "${u.protocol}" is not a PostgreSQL URL; give postgres://USER@HOST:PORT/DATABASE`);
  }
  if (u.pathname.length <= 1) throw new UsageError('--from: the URL names no database; give postgres://USER@HOST:PORT/DATABASE');
  return value;
}

const radacctCommand = defineCommand({
  command: 'radacct',
  describe: 'import a FreeRADIUS 3.2 radacct table (another PostgreSQL database): sessions, accounts, NASes, usage; idempotent and resumable',
  builder: (y) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'the FreeRADIUS database, postgres://USER[:PASSWORD]@HOST:PORT/DATABASE (the password is never printed)', coerce: parseSourceUrl })
      .option('register-nas', { type: 'boolean', default: false, describe: 'register NASes not known yet, without a secret (ignored by the listener until "nas set IP --secret-file F"); else their rows are skipped and the NASes listed by "nas unknown"' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'count what would be imported, change nothing' })
      .option('page-size', { type: 'number', default: DEFAULT_IMPORT_PAGE, describe: `radacct rows per transaction (1–${MAX_PAGE})`, coerce: (v: number) => {
        const n = parsePositiveInt(v, '--page-size');
        if (n > MAX_PAGE) throw new UsageError(`--page-size: ${n} is more than ${MAX_PAGE}`);
        return n;
      } })
      .example('$0 import radacct --from postgres://radius@db1/radius --register-nas --dry-run', ''),
  handler: (argv) =>
    withDatabase(argv, 'import', async (knex) => {
      const source = sourceKey(argv.from);
      const from = createKnex(argv.from, 1);
      try {
        await from.raw('SELECT 1').catch((err: Error) => {
          throw new CliError(`--from: cannot read ${source}: ${cleanMessage(err.message)}`);
        });
        const summary = await importRadacct(knex, from, {
          source,
          registerNas: argv.registerNas,
          dryRun: argv.dryRun,
          pageSize: argv.pageSize,
          onPage: (s) => progress(`import: radacctid ${s.last_radacctid}: ${s.rows_read} rows read, ${s.imported} imported, ${s.rows_per_second} rows/s`, argv.format),
        }).catch((err: unknown) => {
          if (err instanceof ImportSourceError) throw new CliError(`--from ${source}: ${err.message}`);
          throw err;
        });
        if (argv.format !== 'table') return printObject({ ...summary }, argv.format);
        const would = summary.dry_run ? 'would import' : 'imported';
        const lines = [
          `${would} ${summary.imported} sessions (${summary.imported_open} open, ${summary.imported_closed} closed) from ${summary.source}; ${summary.rows_read} radacct rows read in ${summary.seconds} s (${summary.rows_per_second} rows/s)`,
        ];
        if (summary.resumed_after !== null) lines.push(`resumed after radacctid ${summary.resumed_after}`);
        if (summary.already_imported > 0) lines.push(`${summary.already_imported} rows were imported before: unchanged`);
        if (summary.accounts_created > 0) lines.push(`${summary.accounts_created} accounts ${summary.dry_run ? 'would be ' : ''}created (not provisioned)`);
        if (summary.nas_registered.length > 0) lines.push(`NASes ${summary.dry_run ? 'to register' : 'registered'} without a secret (ignored by the listener until "radtrack nas set IP --secret-file F"): ${summary.nas_registered.join(', ')}`);
        if (summary.skipped_unregistered_nas > 0) lines.push(`${summary.skipped_unregistered_nas} rows skipped: their NAS is not registered (${summary.nas_unknown.join(', ')}; see "radtrack nas unknown"); register them with "radtrack nas add" or run again with --register-nas`);
        if (summary.skipped_bad_times > 0) lines.push(`${summary.skipped_bad_times} rows skipped: no usable start time (none, before 1990, or in the future)`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        await from.destroy();
      }
    }),
});

export const importCommand = defineCommand({
  command: 'import',
  describe: 'bring in data from other systems: radacct (FreeRADIUS)',
  builder: (y) => y.command(radacctCommand).demandCommand(1, 'import: which one? radacct'),
  handler: () => undefined,
});
