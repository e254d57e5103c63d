// `radtrack purge --before T` (docs/accounting.md §10): retention of closed sessions and the journal.
import { purge } from '../../purge/purge.ts';
import { parseTime } from '../args.ts';
import { defineCommand, withDatabase } from '../context.ts';
import { countOf, formatTime, printObject, progress } from '../output.ts';

export const purgeCommand = defineCommand({
  command: 'purge',
  describe: 'delete closed sessions (logout < T) and journal entries (arrival < T); never open sessions; usage is kept, so usage reports do not change',
  builder: (y) =>
    y
      .option('before', { type: 'string', demandOption: true, describe: 'the cutoff (ISO 8601; a bare date is read in --tz)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'count what would be deleted, delete nothing' })
      .example('$0 purge --before 2025-01-01 --dry-run', ''),
  handler: (argv) => {
    const before = parseTime(argv.before, '--before', argv.tz ?? 'UTC');
    return withDatabase(argv, 'purge', async (knex) => {
      const summary = await purge(knex, {
        before,
        dryRun: argv.dryRun,
        onProgress: (t) => progress(`purge: ${t.sessions} sessions, ${t.journal} journal entries so far`, argv.format),
      });
      if (argv.format !== 'table') return printObject({ ...summary }, argv.format);
      const what = `${countOf(summary.sessions, 'closed session')} and ${summary.journal} journal ${summary.journal === 1 ? 'entry' : 'entries'} before ${formatTime(before, argv.tz)}`;
      const months = summary.months_dropped.length > 0 ? ` (whole months dropped: ${summary.months_dropped.join(', ')})` : '';
      process.stdout.write(`${summary.dry_run ? 'would delete' : 'deleted'} ${what}${months}; usage kept\n`);
    });
  },
});
