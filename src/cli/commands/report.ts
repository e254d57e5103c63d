// `radtrack report …` (cli.md): usage, online, who, nas, conflicts, quota, top. Argv → one core call → output.
import type { Argv } from 'yargs';
import { currentMonth, monthPeriod, periodHours, PeriodError, rangePeriod, type Period } from '../../reports/period.ts';
import { quotaReport, type QuotaRecord } from '../../reports/quota.ts';
import { accountByUsername } from '../../db/sql/accounts.ts';
import { accountPeriod } from '../../reports/billing-cycle.ts';
import { conflictSessions, onlineSessions, whoHeld } from '../../db/sql/sessions.ts';
import { topUsage, usageByAccount, type UsageRecord } from '../../reports/usage.ts';
import { parseIp, parsePositiveInt, parseTime } from '../args.ts';
import { defineCommand, withDatabase, type ArgvOf, type GlobalArgs } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { countOf, formatTime, printObject, printRows, showBytes, showDuration, type Column } from '../output.ts';
import { printNasStatus } from './nas.ts';
import { SESSION_COLUMNS } from './sessions.ts';

const periodOptions = (y: Argv<GlobalArgs>) =>
  y
    .option('period', { type: 'string', describe: 'a calendar month YYYY-MM in --tz (default: the current month)' })
    .option('from', { type: 'string', describe: 'start of the period (ISO 8601; a bare date/time is read in --tz); with --to' })
    .option('to', { type: 'string', describe: 'end of the period, exclusive; with --from' })
    .conflicts('period', ['from', 'to']);

/** The period asked for, in --tz (default UTC); checked before the database is opened. */
function resolvePeriod(argv: ArgvOf<typeof periodOptions>, now: Date): Period {
  const zone = argv.tz ?? 'UTC';
  try {
    if (argv.from !== undefined || argv.to !== undefined) {
      if (argv.from === undefined || argv.to === undefined) throw new UsageError('--from and --to go together; give both, or --period YYYY-MM');
      return rangePeriod(parseTime(argv.from, '--from', zone), parseTime(argv.to, '--to', zone), zone);
    }
    return argv.period === undefined ? currentMonth(now, zone) : monthPeriod(argv.period, zone);
  } catch (err) {
    if (err instanceof PeriodError) throw new UsageError(`${argv.period !== undefined ? '--period' : '--from/--to'}: ${err.message}`);
    throw err;
  }
}

/** Whether a period was asked for (else each report has its default). */
const periodGiven = (argv: ArgvOf<typeof periodOptions>) => argv.period !== undefined || argv.from !== undefined || argv.to !== undefined;

function periodLine(p: Period): string {
  return `period ${formatTime(p.from, p.zone)} … ${formatTime(p.to, p.zone)} (${periodHours(p)} h)`;
}

const USAGE_COLUMNS: readonly Column<UsageRecord>[] = [
  'username',
  'sessions',
  { key: 'seconds', header: 'time', show: showDuration },
  { key: 'input_octets', header: 'input', show: showBytes },
  { key: 'output_octets', header: 'output', show: showBytes },
];

function printUsage(rows: UsageRecord[], argv: GlobalArgs, p: Period): void {
  if (argv.format === 'table') process.stdout.write(periodLine(p) + '\n');
  printRows(rows, USAGE_COLUMNS, argv.format, { tz: argv.tz, empty: 'no usage in this period' });
}

const usageCommand = defineCommand({
  command: 'usage',
  describe: "usage per account in a period, or in one account's billing cycle: only the part of each session inside it (purged sessions included)",
  builder: (y) =>
    periodOptions(y)
      .option('account', { type: 'string', describe: 'only this username' })
      .option('cycle', { choices: ['current', 'previous'] as const, describe: "with --account: that account's billing cycle (calendar month without a cycle day)" })
      .conflicts('cycle', ['period', 'from', 'to'])
      .example('$0 report usage --period 2026-10 --tz Europe/Berlin', '')
      .example('$0 report usage --from 2026-10-01T10:30 --to 2026-10-02 --account alice --format json', '')
      .example('$0 report usage --account alice --cycle previous', "alice's last complete billing cycle"),
  handler: (argv) => {
    const now = new Date();
    const cycle = argv.cycle;
    if (cycle !== undefined && argv.account === undefined) {
      throw new UsageError('--cycle goes with --account: a billing cycle is an account\'s own; for all accounts use --period or --from/--to');
    }
    const asked = cycle === undefined ? resolvePeriod(argv, now) : null;
    return withDatabase(argv, 'report', async (knex) => {
      const account = argv.account === undefined ? null : await accountByUsername(knex, argv.account);
      if (argv.account !== undefined && !account) throw new CliError(`no account "${argv.account}"; "radtrack account list" shows the accounts`);
      // --cycle comes with --account (checked above), so an account is there whenever no period was asked for.
      const period = asked ?? accountPeriod(account!, now, cycle!, argv.tz ?? 'UTC');
      printUsage(await usageByAccount(knex, { period, now, accountId: account?.id }), argv, period);
    });
  },
});

const topCommand = defineCommand({
  command: 'top',
  describe: 'the accounts that used most in a period',
  builder: (y) =>
    periodOptions(y)
      .option('limit', { type: 'string', default: '10', describe: 'at most N accounts', coerce: (v: string) => parsePositiveInt(v, '--limit') })
      .option('by', { choices: ['octets', 'seconds'] as const, default: 'octets' as const, describe: 'octets = input + output' })
      .example('$0 report top --period 2026-10 --limit 20 --by seconds', ''),
  handler: (argv) => {
    const now = new Date();
    const period = resolvePeriod(argv, now);
    return withDatabase(argv, 'report', async (knex) => printUsage(await topUsage(knex, { period, now }, argv.by, argv.limit), argv, period));
  },
});

const share = (v: unknown) => (v === null || v === undefined ? '-' : `${(Number(v) * 100).toFixed(1)} %`);
const QUOTA_COLUMNS: readonly Column<QuotaRecord>[] = [
  'username',
  { key: 'seconds', header: 'time', show: showDuration },
  { key: 'time_quota_seconds', header: 'time_quota', show: (v) => (v === null ? '-' : showDuration(v)) },
  { key: 'time_share', header: 'time_used', show: share },
  { key: 'octets', header: 'data', show: showBytes },
  { key: 'data_quota_bytes', header: 'data_quota', show: (v) => (v === null ? '-' : showBytes(v)) },
  { key: 'data_share', header: 'data_used', show: share },
  { key: 'period_from', header: 'from' },
  { key: 'period_to', header: 'to' },
];

function parseThreshold(v: string): number {
  const n = Number(v);
  if (!/^\s*\d*\.?\d+\s*$/.test(String(v)) || !(n > 0)) throw new UsageError(`--threshold: "${v}" is not a share; use a number above 0 like 0.8 (80 %) or 1 (quota used up)`);
  return n;
}

const quotaCommand = defineCommand({
  command: 'quota',
  describe: 'accounts at or above a share of their time or data quota in a period',
  builder: (y) =>
    periodOptions(y)
      .option('threshold', { type: 'string', default: '0.8', describe: 'share of a quota, 0.8 = 80 %', coerce: parseThreshold })
      .example('$0 report quota --threshold 1', 'accounts that used up a quota in their current billing cycle'),
  handler: (argv) => {
    const now = new Date();
    const zone = argv.tz ?? 'UTC';
    // Without a period, each account's own current cycle (the calendar month in --tz when it has none).
    const period = periodGiven(argv) ? resolvePeriod(argv, now) : undefined;
    return withDatabase(argv, 'report', async (knex) => {
      const threshold = `threshold ${+(argv.threshold * 100).toPrecision(6)} %`;
      const heading = period ? periodLine(period) : `each account's current billing cycle (calendar month in ${zone} without one)`;
      if (argv.format === 'table') process.stdout.write(`${heading}, ${threshold}\n`);
      printRows(await quotaReport(knex, { period, zone, now, threshold: argv.threshold }), QUOTA_COLUMNS, argv.format, { tz: argv.tz, empty: 'no account at or above the threshold' });
    });
  },
});

const onlineCommand = defineCommand({
  command: 'online',
  describe: 'open sessions now, with a count',
  builder: (y) =>
    y
      .option('nas', { type: 'string', describe: 'only this NAS address', coerce: (v: string) => parseIp(v, '--nas') })
      .option('limit', { type: 'string', describe: 'list at most N sessions (the count is of all)', coerce: (v: string) => parsePositiveInt(v, '--limit') }),
  handler: (argv) =>
    withDatabase(argv, 'report', async (knex) => {
      const report = await onlineSessions(knex, { nasIp: argv.nas, limit: argv.limit });
      // json: { count, sessions }; csv: the sessions; table: the sessions, then the count.
      if (argv.format === 'json') return printObject({ count: report.count, sessions: report.sessions }, 'json');
      printRows(report.sessions, SESSION_COLUMNS, argv.format, { tz: argv.tz, empty: 'no open sessions' });
      if (argv.format === 'table' && report.count > 0) process.stdout.write(`${countOf(report.count, 'open session')}\n`);
    }),
});

const whoCommand = defineCommand({
  command: 'who',
  describe: 'who held a framed IP at an instant: login ≤ T < logout, or still open',
  builder: (y) =>
    y
      .option('ip', { type: 'string', demandOption: true, describe: 'the framed IP address', coerce: (v: string) => parseIp(v, '--ip') })
      .option('at', { type: 'string', describe: 'the instant (ISO 8601; a bare date/time is read in --tz); default now' })
      .example('$0 report who --ip 10.0.0.5 --at 2026-10-01T12:00:00Z', ''),
  handler: (argv) => {
    const at = argv.at === undefined ? new Date() : parseTime(argv.at, '--at', argv.tz ?? 'UTC');
    return withDatabase(argv, 'report', async (knex) => {
      printRows(await whoHeld(knex, argv.ip, at), SESSION_COLUMNS, argv.format, { tz: argv.tz, empty: `nobody held ${argv.ip} at ${formatTime(at, argv.tz)}` });
    });
  },
});

const nasReportCommand = defineCommand({
  command: 'nas',
  describe: 'each NAS: heartbeat, open sessions, state (up/silent), packet and discard counters',
  handler: (argv) => printNasStatus(argv, 'report'),
});

const conflictsCommand = defineCommand({
  command: 'conflicts',
  describe: 'sessions flagged port_conflict (two open sessions on one port), newest first',
  builder: (y) =>
    y
      .option('open', { type: 'boolean', default: false, describe: 'only those still open (unresolved)' })
      .option('limit', { type: 'string', default: '100', describe: 'at most N sessions', coerce: (v: string) => parsePositiveInt(v, '--limit') }),
  handler: (argv) =>
    withDatabase(argv, 'report', async (knex) => {
      printRows(await conflictSessions(knex, { open: argv.open, limit: argv.limit }), SESSION_COLUMNS, argv.format, { tz: argv.tz, empty: 'no port conflicts' });
    }),
});

export const reportCommand = defineCommand({
  command: 'report',
  describe: 'billing and operations reports: usage, top, quota, online, who, nas, conflicts',
  builder: (y) =>
    y
      .command(usageCommand)
      .command(topCommand)
      .command(quotaCommand)
      .command(onlineCommand)
      .command(whoCommand)
      .command(nasReportCommand)
      .command(conflictsCommand)
      .demandCommand(1, 'report: which one? usage, top, quota, online, who, nas or conflicts'),
  handler: () => undefined,
});
