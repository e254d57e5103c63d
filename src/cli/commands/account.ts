import type { Argv } from 'yargs';
import { deleteAccount, listAccounts, provisionAccount, updateAccount, type AccountRow, type AccountSettings } from '../../admin/accounts.ts';
import { parseCycleDay, parseDuration, parseSize, parseZone } from '../args.ts';
import { defineCommand, withDatabase, type GlobalArgs } from '../context.ts';
import { CliError, purgeAdvice, RefusedError, UsageError } from '../errors.ts';
import { countOf, printMessage, printObject, printRows, showBytes, showDuration, type Column } from '../output.ts';

// `demandOption` tells the types what `<username>` in the command string already makes yargs demand
// (yargs ignores the key on positionals), so handlers get a string, not string | undefined.
const usernamePositional = (y: Argv<GlobalArgs>) => y.positional('username', { type: 'string', demandOption: true, describe: 'the RADIUS User-Name' });

function checkUsername(username: string): void {
  if (username.length === 0) throw new UsageError('username: empty; give the RADIUS User-Name');
}

const quota = (v: unknown, show: (x: unknown) => string) => (v === null || v === undefined ? 'none' : show(v));

export const ACCOUNT_COLUMNS: readonly Column<AccountRow>[] = [
  'username',
  'provisioned',
  { key: 'time_quota_seconds', header: 'time_quota', show: (v) => quota(v, showDuration) },
  { key: 'data_quota_bytes', header: 'data_quota', show: (v) => quota(v, showBytes) },
  { key: 'cycle_day', header: 'cycle_day', show: (v) => (v === null || v === undefined ? 'month' : String(v)) },
  { key: 'cycle_tz', header: 'cycle_tz' },
  'sessions',
  { key: 'open_sessions', header: 'open' },
  { key: 'created_at', inTable: false },
];

// The settings `add` and `set` share: quotas per billing period and the billing cycle.
const settingsOptions = (y: Argv<GlobalArgs>) =>
  usernamePositional(y)
    .option('time-quota', { type: 'string', describe: 'seconds per billing period, or 90m, 100h, 30d', coerce: (v: string) => parseDuration(v, '--time-quota') })
    .option('data-quota', { type: 'string', describe: 'bytes per billing period, or 500MB, 10GB, 1TiB', coerce: (v: string) => parseSize(v, '--data-quota') })
    .option('cycle-day', { type: 'string', describe: 'billing cycle from this day of the month (1-28) at local midnight, instead of calendar months', coerce: (v: string) => parseCycleDay(v, '--cycle-day') })
    .option('cycle-tz', { type: 'string', describe: 'time zone of the billing cycle (default: --tz of each report)', coerce: (v: string) => parseZone(v, '--cycle-tz') });

const settingsOf = (argv: { timeQuota?: number; dataQuota?: bigint; cycleDay?: number; cycleTz?: string }): AccountSettings => ({
  timeQuotaSeconds: argv.timeQuota,
  dataQuotaBytes: argv.dataQuota,
  cycleDay: argv.cycleDay,
  cycleTz: argv.cycleTz,
});

/** "time quota 1:30:00, data quota 5.00 GB", then the billing cycle if it is not calendar months in --tz. */
function describeSettings(a: AccountRow): string {
  const quotas = `time quota ${quota(a.time_quota_seconds, showDuration)}, data quota ${quota(a.data_quota_bytes, showBytes)}`;
  if (a.cycle_day === null && a.cycle_tz === null) return quotas;
  const cycle = a.cycle_day === null ? 'calendar months' : `from day ${a.cycle_day}`;
  return `${quotas}, billing cycle ${cycle}${a.cycle_tz === null ? '' : ` in ${a.cycle_tz}`}`;
}

const addCommand = defineCommand({
  command: 'add <username>',
  describe: 'provision an account (or mark an auto-created one provisioned) and set its quotas and billing cycle',
  builder: (y) =>
    settingsOptions(y)
      .example('$0 account add alice --time-quota 100h --data-quota 10GB', '')
      .example('$0 account add bob --data-quota 50GB --cycle-day 15 --cycle-tz Europe/Berlin', 'billed from the 15th, Berlin time'),
  handler: (argv) => {
    checkUsername(argv.username);
    return withDatabase(argv, 'account', async (knex) => {
      const { created, account } = await provisionAccount(knex, argv.username, settingsOf(argv));
      if (argv.format !== 'table') return printObject({ ...account, created }, argv.format);
      printMessage(`${created ? 'added' : 'updated'} account "${account.username}" (provisioned; ${describeSettings(account)})`, argv.format);
    });
  },
});

const setCommand = defineCommand({
  command: 'set <username>',
  describe: "change an existing account's quotas or billing cycle",
  builder: (y) => settingsOptions(y).example('$0 account set alice --cycle-day 1 --cycle-tz America/New_York', ''),
  handler: (argv) => {
    checkUsername(argv.username);
    const settings = settingsOf(argv);
    if (Object.values(settings).every((v) => v === undefined)) {
      throw new UsageError('account set: nothing to change; give --time-quota, --data-quota, --cycle-day or --cycle-tz');
    }
    return withDatabase(argv, 'account', async (knex) => {
      const account = await updateAccount(knex, argv.username, settings);
      if (!account) throw new CliError(`no account "${argv.username}"; "radtrack account add ${argv.username}" creates it`);
      if (argv.format !== 'table') return printObject({ ...account }, argv.format);
      printMessage(`updated account "${account.username}" (${describeSettings(account)})`, argv.format);
    });
  },
});

const listCommand = defineCommand({
  command: 'list',
  describe: 'accounts with their quotas and session counts',
  handler: (argv) =>
    withDatabase(argv, 'account', async (knex) => {
      printRows(await listAccounts(knex), ACCOUNT_COLUMNS, argv.format, { tz: argv.tz, empty: 'no accounts' });
    }),
});

const deleteCommand = defineCommand({
  command: 'delete <username>',
  describe: 'delete an account that no session references',
  builder: usernamePositional,
  handler: (argv) =>
    withDatabase(argv, 'account', async (knex) => {
      const result = await deleteAccount(knex, argv.username);
      if (result.status === 'not_found') throw new CliError(`no account "${argv.username}"; "radtrack account list" shows the accounts`);
      if (result.status === 'referenced') {
        throw new RefusedError(
          `account "${argv.username}" has ${countOf(result.sessions, 'session')} (${result.open} open); it cannot be deleted while sessions reference it. ` +
            purgeAdvice(result.open),
        );
      }
      if (argv.format === 'table') printMessage(`deleted account "${argv.username}"`, argv.format);
      else printObject({ username: argv.username, deleted: true }, argv.format);
    }),
});

export const accountCommand = defineCommand({
  command: 'account',
  describe: 'manage accounts: add, set, list, delete',
  builder: (y) =>
    y
      .command(addCommand)
      .command(setCommand)
      .command(listCommand)
      .command(deleteCommand)
      .demandCommand(1, 'account: which one? add, set, list or delete'),
  handler: () => undefined,
});
