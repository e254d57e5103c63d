import type { Argv } from 'yargs';
import { deleteAccount, listAccounts, provisionAccount, type AccountRow } from '../../admin/accounts.ts';
import { parseDuration, parseSize } from '../args.ts';
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
  'sessions',
  { key: 'open_sessions', header: 'open' },
  { key: 'created_at', inTable: false },
];

const addCommand = defineCommand({
  command: 'add <username>',
  describe: 'provision an account (or mark an auto-created one provisioned) and set its quotas',
  builder: (y) =>
    usernamePositional(y)
      .option('time-quota', { type: 'string', describe: 'seconds per billing period, or 90m, 100h, 30d', coerce: (v: string) => parseDuration(v, '--time-quota') })
      .option('data-quota', { type: 'string', describe: 'bytes per billing period, or 500MB, 10GB, 1TiB', coerce: (v: string) => parseSize(v, '--data-quota') })
      .example('$0 account add alice --time-quota 100h --data-quota 10GB', ''),
  handler: (argv) => {
    checkUsername(argv.username);
    return withDatabase(argv, 'account', async (knex) => {
      const { created, account } = await provisionAccount(knex, argv.username, { timeQuotaSeconds: argv.timeQuota, dataQuotaBytes: argv.dataQuota });
      if (argv.format !== 'table') return printObject({ ...account, created }, argv.format);
      const quotas = `time quota ${quota(account.time_quota_seconds, showDuration)}, data quota ${quota(account.data_quota_bytes, showBytes)}`;
      printMessage(`${created ? 'added' : 'updated'} account "${account.username}" (provisioned; ${quotas})`, argv.format);
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
  describe: 'manage accounts: add, list, delete',
  builder: (y) =>
    y
      .command(addCommand)
      .command(listCommand)
      .command(deleteCommand)
      .demandCommand(1, 'account: which one? add, list or delete'),
  handler: () => undefined,
});
