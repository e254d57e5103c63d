// `radtrack reconcile` (docs/accounting.md §10), written for cron: silent unless it changed something (or the set of
// down NASes changed) — cron mails any output — or --verbose / --dry-run; json and csv always print.
import type { Argv } from 'yargs';
import { LISTED_SESSIONS, reconcile, reconcileChanged, type ReconcileSummary, type StaleSession } from '../../reconcile/reconcile.ts';
import { describeRange, parseDuration, type DurationRange } from '../args.ts';
import { defineCommand, withDatabase, type ArgvOf, type GlobalArgs } from '../context.ts';
import { countOf, formatTime, printObject, printRows, type Column } from '../output.ts';

// A session without an update for a year is long dead; anything larger is a typo.
const STALE_AFTER: DurationRange = { minSeconds: 1, maxSeconds: 366 * 86_400 };

const reconcileOptions = (y: Argv<GlobalArgs>) =>
  y
    .option('stale-after', {
      type: 'string',
      describe: `seconds (or 15m, 2h) without an update, ${describeRange(STALE_AFTER)}; default 3 × each NAS interim interval`,
      coerce: (v: string) => parseDuration(v, '--stale-after', STALE_AFTER),
    })
    .option('close-silent', { type: 'boolean', default: false, describe: 'also close the stale sessions of silent NASes (left open by default: the NAS may only be unreachable)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'show what would change, change nothing' })
    .option('verbose', { type: 'boolean', default: false, describe: 'print a summary even when nothing changed' })
    .example('*/5 * * * * radtrack reconcile', 'crontab line: mails only when something changed');

const STALE_COLUMNS: readonly Column<StaleSession>[] = [
  'id', 'username', 'nas_ip', 'login', { key: 'last_update', header: 'logout (last update)' }, 'silent_nas',
];

function printTable(s: ReconcileSummary, argv: ArgvOf<typeof reconcileOptions>): void {
  const out = (line: string): void => void process.stdout.write(line + '\n');
  if (s.skipped) return out(`reconcile: another run (${s.held_by}) is reconciling; skipped`);
  if (!argv.verbose && !argv.dryRun && !reconcileChanged(s)) return;
  const would = s.dry_run ? 'would close' : 'closed';
  if (s.closed > 0) {
    out(`${would} ${countOf(s.closed, 'stale session')} (logout = last update):`);
    printRows(s.closed_sessions, STALE_COLUMNS, 'table', { tz: argv.tz });
    if (s.closed > s.closed_sessions.length) out(`… and ${s.closed - s.closed_sessions.length} more (the first ${LISTED_SESSIONS} are listed)`);
  } else if (argv.verbose || s.dry_run) out('no stale sessions to close');
  for (const n of s.silent_nas) {
    const since = n.last_seen ? `nothing heard since ${formatTime(n.last_seen, argv.tz)}` : 'never heard from';
    const name = n.name ? ` (${n.name})` : '';
    const isNew = s.newly_down.includes(n.address) ? 'down' : 'still down';
    out(`NAS ${n.address}${name} ${isNew}: ${since} (limit ${n.quiet_limit_seconds} s); ${countOf(n.open_sessions, 'open session')}`);
  }
  if (s.left_open > 0) out(`${countOf(s.left_open, 'stale session')} of silent NASes left open; --close-silent closes them`);
  for (const a of s.back_up) out(`NAS ${a} is back up`);
}

export const reconcileCommand = defineCommand({
  command: 'reconcile',
  describe: 'close stale sessions at their last update, report silent NASes (for cron: quiet unless something changed)',
  builder: reconcileOptions,
  handler: (argv) =>
    withDatabase(argv, 'reconcile', async (_knex, db) => {
      const summary = await reconcile(db, { now: new Date(), staleAfterSeconds: argv.staleAfter, closeSilent: argv.closeSilent, dryRun: argv.dryRun });
      if (argv.format === 'json') return printObject({ ...summary }, 'json');
      if (argv.format === 'csv') {
        return printObject({
          skipped: summary.skipped, dry_run: summary.dry_run, at: summary.at, closed: summary.closed, left_open: summary.left_open,
          silent_nas: summary.silent_nas.map((n) => n.address), newly_down: summary.newly_down, back_up: summary.back_up,
        }, 'csv');
      }
      printTable(summary, argv);
    }),
});
