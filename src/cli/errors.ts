// Exit status and the one-line error contract of docs/cli.md "Exit status".

export const EXIT_OK = 0;
/** Database unreachable, internal error, or the thing named does not exist. */
export const EXIT_FAILURE = 1;
/** Bad flag, bad value, unknown command. */
export const EXIT_USAGE = 2;
/** The request is understood but refused (e.g. deleting an account that sessions reference). */
export const EXIT_REFUSED = 3;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILURE | typeof EXIT_USAGE | typeof EXIT_REFUSED;

/** An error whose message is already the readable line for the user (without the "radtrack: " prefix). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

export class RefusedError extends CliError {
  constructor(message: string) {
    super(message, EXIT_REFUSED);
    this.name = 'RefusedError';
  }
}

/** Replaces every secret (e.g. the password of --db) that a driver or library might echo back. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** The password and the whole URL of a database URL: both must never reach the terminal. */
export function secretsOfUrl(url: string | undefined): string[] {
  if (!url) return [];
  const secrets = [url];
  try {
    const u = new URL(url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // Not a URL: the whole string is already redacted.
  }
  return secrets;
}

// knex prefixes a failed query's SQL, with its bindings inlined, to the driver's message ("<sql> - <message>").
// The SQL makes the line unreadable and its bindings may hold a NAS secret: keep only the driver's message.
const KNEX_SQL_PREFIX = /(^|: )(select|insert|update|delete|create|alter|drop|with)\b[\s\S]* - /i;

export function cleanMessage(message: string): string {
  return message.replace(KNEX_SQL_PREFIX, '$1').replace(/\s*\n\s*/g, ' ');
}

/** The line printed on stderr for any error, and the exit code that goes with it. */
export function describeError(err: unknown, debug: boolean): { line: string; exitCode: ExitCode } {
  if (err instanceof CliError) {
    return { line: `radtrack: ${err.message}`, exitCode: err.exitCode };
  }
  const message = cleanMessage(err instanceof Error ? err.message : String(err));
  // Stack frames only: the stack's first line repeats the message as it was before knex rewrote it.
  const frames = debug && err instanceof Error && err.stack ? '\n' + err.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') : '';
  if (message.startsWith('database: ')) {
    return { line: `radtrack: ${message}; check --db / DATABASE_URL or --data-dir${frames}`, exitCode: EXIT_FAILURE };
  }
  const code = (err as { code?: unknown } | null)?.code;
  const what = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? `database error ${code}` : 'internal error';
  const hint = debug ? '' : ' (run again with --debug for details)';
  return { line: `radtrack: ${what}: ${message}${hint}${frames}`, exitCode: EXIT_FAILURE };
}

/** What to do when sessions block a delete: purge removes closed sessions only. */
export function purgeAdvice(openSessions: bigint): string {
  const purge = 'Run "radtrack purge --before <date>" to remove old closed sessions first';
  return openSessions > 0n ? `${purge}; open ones must close first (a Stop from the NAS, or "radtrack reconcile" for stale ones).` : `${purge}.`;
}
