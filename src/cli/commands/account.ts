import type { Argv, CommandModule } from 'yargs';
import { deleteAccount, listAccounts, provisionAccount, type AccountRow } from '../../admin/accounts.ts';
import { parseDuration, parseSize } from '../args.ts';
import { withDatabase, type GlobalArgs } from '../context.ts';
import { CliError, purgeAdvice, RefusedError, UsageError } from '../errors.ts';
import { countOf, printMessage, printObject, printRows, showBytes, showDuration, type Column } from '../output.ts';

interface AccountArgs extends GlobalArgs {
  username: string;
}

interface AccountAddArgs extends AccountArgs {
  timeQuota?: number;
  dataQuota?: bigint;
}

function usernamePositional(y: Argv<GlobalArgs>): Argv<AccountArgs> {
  return y.positional('username', { type: 'string', describe: 'the RADIUS User-Name' }) as unknown as Argv<AccountArgs>;
}

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

const addCommand: CommandModule<GlobalArgs, AccountAddArgs> = {
  command: 'add <username>',
  describe: 'provision an account (or mark an auto-created one provisioned) and set its quotas',
  builder: (y) =>
    usernamePositional(y)
      .option('time-quota', { type: 'string', describe: 'seconds per billing period, or 90m, 100h, 30d', coerce: (v: string) => parseDuration(v, '--time-quota') })
      .option('data-quota', { type: 'string', describe: 'bytes per billing period, or 500MB, 10GB, 1TiB', coerce: (v: string) => parseSize(v, '--data-quota') })
      .example('$0 account add alice --time-quota 100h --data-quota 10GB', '') as unknown as Argv<AccountAddArgs>,
  handler: (argv) => {
    checkUsername(argv.username);
    return withDatabase(argv, 'account', async (knex) => {
      const { created, account } = await provisionAccount(knex, argv.username, { timeQuotaSeconds: argv.timeQuota, dataQuotaBytes: argv.dataQuota });
      if (argv.format !== 'table') return printObject({ ...account, created }, argv.format);
      const quotas = `time quota ${quota(account.time_quota_seconds, showDuration)}, data quota ${quota(account.data_quota_bytes, showBytes)}`;
      printMessage(`${created ? 'added' : 'updated'} account "${account.username}" (provisioned; ${quotas})`, argv.format);
    });
  },
};

const listCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'list',
  describe: 'accounts with their quotas and session counts',
  handler: (argv) =>
    withDatabase(argv, 'account', async (knex) => {
      printRows(await listAccounts(knex), ACCOUNT_COLUMNS, argv.format, { tz: argv.tz, empty: 'no accounts' });
    }),
};

const deleteCommand: CommandModule<GlobalArgs, AccountArgs> = {
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
};

export const accountCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'account',
  describe: 'manage accounts: add, list, delete',
  builder: (y) =>
    y
      .command(addCommand)
      .command(listCommand)
      .command(deleteCommand)
      .demandCommand(1, 'account: which one? add, list or delete') as unknown as Argv<GlobalArgs>,
  handler: () => undefined,
};
