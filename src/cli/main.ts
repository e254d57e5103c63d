// The radtrack command line (docs/cli.md). Adding a command: one import and one `.command(top(x))` line in buildCli().
import { readFileSync } from 'node:fs';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { parseZone } from './args.ts';
import type { GlobalArgs } from './context.ts';
import { describeError, redact, secretsOfUrl, UsageError, type ExitCode } from './errors.ts';
import { FORMATS } from './output.ts';
import { LOG_FORMATS } from '../log.ts';
import { serveCommand } from './commands/serve.ts';
import { migrateCommand } from './commands/migrate.ts';
import { seedCommand } from './commands/seed.ts';
import { nasCommand } from './commands/nas.ts';
import { accountCommand } from './commands/account.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { reportCommand } from './commands/report.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { purgeCommand } from './commands/purge.ts';
import { healthCommand } from './commands/health.ts';
import { importCommand } from './commands/import.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Where to look for help: the command the user typed, if it is one. */
function helpHint(commands: readonly string[], args: readonly string[]): string {
  const first = args.find((a, i) => !a.startsWith('-') && !/^--(db|data-dir|format|tz|log-format)$/.test(args[i - 1] ?? ''));
  const command = first && commands.includes(first) ? ` ${first}` : '';
  return `run "radtrack${command} --help" for usage`;
}

function buildCli(args: string[]) {
  // The top-level command names, for the help hint: yargs keeps its own list internal. Collected as the commands
  // are added, not from one array of them: CommandModule is invariant in its argv type, so a mixed array needs a cast.
  const names: string[] = [];
  const top = <U>(command: CommandModule<GlobalArgs, U>): CommandModule<GlobalArgs, U> => {
    names.push(String(command.command).split(' ')[0]);
    return command;
  };
  const cli = yargs(args)
    .scriptName('radtrack')
    .usage('$0 <command> [options]\n\nRADIUS accounting session tracker.')
    .option('db', { type: 'string', describe: 'PostgreSQL URL (default: DATABASE_URL; else the embedded database)', global: true })
    .option('data-dir', { type: 'string', describe: 'embedded database folder (default: RADTRACK_DATA_DIR or ./data)', global: true })
    .option('format', { choices: FORMATS, default: 'table' as const, describe: 'output format', global: true })
    .option('tz', { type: 'string', describe: 'IANA time zone for times in table/csv output (json is always UTC) and for times given without an offset; a local time that a DST change skips or repeats is refused: add its offset', global: true, coerce: (v: string) => parseZone(v, '--tz') })
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces of errors', global: true })
    .option('log-format', { choices: LOG_FORMATS, describe: 'log lines of serve: text, or json (one object per line) for log shippers (default: RADTRACK_LOG_FORMAT or text)', global: true })
    .command(top(serveCommand))
    .command(top(migrateCommand))
    .command(top(seedCommand))
    .command(top(nasCommand))
    .command(top(accountCommand))
    .command(top(sessionsCommand))
    .command(top(reportCommand))
    .command(top(reconcileCommand))
    .command(top(purgeCommand))
    .command(top(healthCommand))
    .command(top(importCommand))
    .demandCommand(1, 'no command given')
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100));
  // Validation failures (bad flag, bad value, unknown command) become one line and exit 2, not the help dump.
  // Errors thrown by handlers pass through unchanged.
  cli.fail((msg, err) => {
    if (err && err.name !== 'YError') throw err;
    const text = (msg || err?.message || 'invalid command line').replace(/\s*\n\s*/g, ' ');
    // Our own value parsers (args.ts) already say what to do; yargs' messages get the help hint.
    throw new UsageError(/^(--[\w-]+|<[\w-]+>): /.test(text) ? text : `${text}; ${helpHint(names, args)}`);
  });
  return cli;
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const args = hideBin([...argv]);
  const debug = args.includes('--debug');
  const dbAt = args.findIndex((a) => a === '--db' || a.startsWith('--db='));
  const dbUrl = dbAt < 0 ? undefined : args[dbAt]!.includes('=') ? args[dbAt]!.slice(5) : args[dbAt + 1];
  // import radacct --from URL: that URL may hold a password too (report's --from is a time, and stays readable).
  const fromAt = args.findIndex((a) => a === '--from' || a.startsWith('--from='));
  const fromArg = fromAt < 0 ? undefined : args[fromAt]!.includes('=') ? args[fromAt]!.slice(7) : args[fromAt + 1];
  const fromUrl = fromArg !== undefined && /^postgres(ql)?:/i.test(fromArg) ? fromArg : undefined;
  try {
    await buildCli(args).parseAsync();
    return (process.exitCode ?? 0) as ExitCode;
  } catch (err) {
    const { line, exitCode } = describeError(err, debug);
    process.stderr.write(redact(line, [...secretsOfUrl(dbUrl), ...secretsOfUrl(fromUrl), ...secretsOfUrl(process.env.DATABASE_URL)]) + '\n');
    return exitCode;
  }
}

// Explicit exit (docs/stack-notes.md §2): a stray timer or socket in a library must not keep a finished command alive.
// Exit only once stdout has taken everything, so piped json/csv is never cut short.
const code = await main(process.argv);
process.stdout.write('', () => process.exit(code));
