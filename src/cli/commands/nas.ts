import type { Argv } from 'yargs';
import { PORT_POLICIES } from '../../accounting/port-policy.ts';
import { addNas, removeNas, updateNas, type NasSettings } from '../../admin/nas.ts';
import { listUnknownSources, type NasRow } from '../../db/sql/nas.ts';
import { nasStatus, type NasStatusRow } from '../../reports/nas-status.ts';
import { describeRange, parseDuration, parseIp, resolveSecret, type DurationRange } from '../args.ts';
import { defineCommand, withDatabase, type ArgvOf, type GlobalArgs } from '../context.ts';
import { CliError, purgeAdvice, RefusedError, UsageError } from '../errors.ts';
import { countOf, printMessage, printObject, printRows, warn, type Column } from '../output.ts';

// Real NASes send Interim-Updates every few minutes to an hour (RFC 2869 §5.16: at least 60 s, better 600; under
// 60 is allowed here for lab setups). A NAS counts as silent after 3 intervals, so a day already means three days
// before anyone hears it is down; more is a typo ("1300w" for 1300 s), and 3 × it must fit int4 where SQL
// multiplies it.
const INTERIM_INTERVAL: DurationRange = { minSeconds: 1, maxSeconds: 86_400 };

// A secret given as an argument stays in the shell history and shows in `ps` to every local user. It still
// works (scripts use it), but the help leads with the file and the environment, and using it earns a warning.
const SECRET_FILE_HELP = 'read the shared secret from this file (one trailing newline ignored); keeps it out of shell history and ps';
const SECRET_HELP = 'the shared secret itself: visible in shell history and ps, so prefer --secret-file (or, for add, RADTRACK_NAS_SECRET)';

/** After a command that took --secret worked: one line on stderr (never the secret), so the next time is safer. */
function warnSecretOnCommandLine(argv: { secret?: string }, alternatives: string): void {
  if (argv.secret !== undefined) warn(`--secret leaves the NAS secret in the shell history and in ps; use ${alternatives} instead`);
}

// `demandOption` tells the types what `<ip>` in the command string already makes yargs demand (yargs ignores
// the key on positionals), so handlers get a string, not string | undefined.
const ipPositional = (y: Argv<GlobalArgs>) =>
  y.positional('ip', { type: 'string', demandOption: true, describe: 'NAS source address (IPv4 or IPv6)', coerce: (v: string) => parseIp(v, '<ip>') });

const settingsOptions = (y: Argv<GlobalArgs>) =>
  ipPositional(y)
    .option('secret-file', { type: 'string', describe: SECRET_FILE_HELP })
    .option('secret', { type: 'string', describe: SECRET_HELP })
    .option('name', { type: 'string', describe: 'a name for people' })
    .option('port-policy', { choices: PORT_POLICIES, describe: 'what to do with two open sessions on one port' })
    .option('interim-interval', {
      type: 'string',
      describe: `seconds (or 5m, 1h) between the NAS's Interim-Updates, ${describeRange(INTERIM_INTERVAL)}; silence for 3× this marks it silent`,
      coerce: (v: string) => parseDuration(v, '--interim-interval', INTERIM_INTERVAL),
    });

type NasSettingsArgv = ArgvOf<typeof settingsOptions>;

function settingsOf(argv: NasSettingsArgv, secret: string | undefined): NasSettings {
  return { secret, name: argv.name, portPolicy: argv.portPolicy, interimIntervalSeconds: argv.interimInterval };
}

function printNas(nas: NasRow, message: string, argv: GlobalArgs): void {
  if (argv.format === 'table') printMessage(message, argv.format);
  else printObject({ ...nas }, argv.format);
}

const describeNas = (n: NasRow) => `${n.address}${n.name ? ` "${n.name}"` : ''} (port policy ${n.port_policy}, interim interval ${n.interim_interval} s)`;

const addCommand = defineCommand({
  command: 'add <ip>',
  describe: 'register a NAS (RADIUS client), its secret from --secret-file or RADTRACK_NAS_SECRET',
  builder: (y) =>
    settingsOptions(y)
      .example('$0 nas add 192.0.2.10 --name bras-1 --secret-file /etc/radtrack/bras-1.secret', '')
      .example('$0 nas add 192.0.2.10 --name bras-1', 'the secret from RADTRACK_NAS_SECRET, e.g. set by: read -rs RADTRACK_NAS_SECRET; export RADTRACK_NAS_SECRET'),
  handler: async (argv) => {
    const secret = resolveSecret(argv, process.env);
    if (secret === undefined) throw new UsageError('nas add: no secret; give --secret-file FILE or set RADTRACK_NAS_SECRET');
    await withDatabase(argv, 'nas', async (knex) => {
      const nas = await addNas(knex, argv.ip, { ...settingsOf(argv, secret), secret });
      if (!nas) throw new RefusedError(`NAS ${argv.ip} is already registered; use "radtrack nas set ${argv.ip} …" to change it`);
      printNas(nas, `added NAS ${describeNas(nas)}`, argv);
    });
    warnSecretOnCommandLine(argv, '--secret-file FILE or RADTRACK_NAS_SECRET');
  },
});

const setCommand = defineCommand({
  command: 'set <ip>',
  describe: 'change a NAS; the running listener picks it up within seconds',
  builder: (y) => settingsOptions(y).example('$0 nas set 192.0.2.10 --secret-file /etc/radtrack/bras-1.secret', ''),
  handler: async (argv) => {
    // The environment variable is not used here: a stray RADTRACK_NAS_SECRET must not silently replace a secret.
    const changes = settingsOf(argv, resolveSecret(argv));
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nas set: nothing to change; give --secret-file, --name, --port-policy or --interim-interval');
    }
    await withDatabase(argv, 'nas', async (knex) => {
      const nas = await updateNas(knex, argv.ip, changes);
      if (!nas) throw new CliError(`no NAS ${argv.ip} is registered; "radtrack nas add" registers it`);
      printNas(nas, `changed NAS ${describeNas(nas)}${changes.secret !== undefined ? ', new secret' : ''}`, argv);
    });
    warnSecretOnCommandLine(argv, '--secret-file FILE');
  },
});

const removeCommand = defineCommand({
  command: 'remove <ip>',
  describe: 'unregister a NAS that no session references',
  builder: ipPositional,
  handler: (argv) =>
    withDatabase(argv, 'nas', async (knex) => {
      const result = await removeNas(knex, argv.ip);
      if (result.status === 'not_found') throw new CliError(`no NAS ${argv.ip} is registered; "radtrack nas list" shows them`);
      if (result.status === 'referenced') {
        throw new RefusedError(
          `NAS ${argv.ip} has ${countOf(result.sessions, 'session')} (${result.open} open); it cannot be removed while sessions reference it. ` +
            purgeAdvice(result.open),
        );
      }
      if (argv.format === 'table') printMessage(`removed NAS ${argv.ip}`, argv.format);
      else printObject({ address: argv.ip, removed: true }, argv.format);
    }),
});

export const NAS_STATUS_COLUMNS: readonly Column<NasStatusRow>[] = [
  'address',
  'name',
  { key: 'port_policy', header: 'policy' },
  { key: 'interim_interval', header: 'interim' },
  'last_seen',
  'last_restart',
  { key: 'open_sessions', header: 'open' },
  'state',
  'accepted',
  { key: 'duplicates', header: 'dups' },
  'malformed',
  { key: 'bad_authenticator', header: 'bad_auth' },
  { key: 'unsupported_code', header: 'bad_code' },
  { key: 'unprocessable', header: 'unproc' },
  { key: 'clock_skew', header: 'skew' },
  // A NAS registered by `import radacct --register-nas` has none until `nas set --secret-file`: its packets are ignored.
  { key: 'has_secret', header: 'secret', show: (v) => (v ? 'set' : 'NONE') },
];

/** `nas list` and `report nas` print the same thing. */
export function printNasStatus(argv: GlobalArgs, role: string): Promise<void> {
  return withDatabase(argv, role, async (knex) => {
    printRows(await nasStatus(knex), NAS_STATUS_COLUMNS, argv.format, { tz: argv.tz, empty: 'no NAS registered; "radtrack nas add" registers one' });
  });
}

const listCommand = defineCommand({
  command: 'list',
  describe: 'each NAS with its state and packet counters (never the secret)',
  handler: (argv) => printNasStatus(argv, 'nas'),
});

const unknownCommand = defineCommand({
  command: 'unknown',
  describe: 'sources that sent datagrams but are not registered',
  handler: (argv) =>
    withDatabase(argv, 'nas', async (knex) => {
      printRows(await listUnknownSources(knex), ['address', 'first_seen', 'last_seen', 'count'], argv.format, { tz: argv.tz, empty: 'no unknown sources' });
    }),
});

export const nasCommand = defineCommand({
  command: 'nas',
  describe: 'manage NASes (RADIUS clients): add, set, remove, list, unknown',
  builder: (y) =>
    y
      .command(addCommand)
      .command(setCommand)
      .command(removeCommand)
      .command(listCommand)
      .command(unknownCommand)
      .demandCommand(1, 'nas: which one? add, set, remove, list or unknown'),
  handler: () => undefined,
});
