/** Injected everywhere, never global. Messages name the component; secrets and whole packets are never logged. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Values a log line may carry beside its message (json: keys of the object; text: key=value after it). */
export type LogFields = Record<string, string | number | boolean | null>;

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface StderrLoggerOptions {
  debug?: boolean;
  /** text: `<time> <level> <message>`; json: one object per line for log shippers. */
  format?: LogFormat;
  /** Strings replaced by *** wherever they would appear (a database password a driver echoes back). */
  secrets?: readonly string[];
  write?: (line: string) => void;
}

// The keys of a json line that fields cannot override.
const RESERVED = new Set(['time', 'level', 'msg', 'component']);

function formatLine(format: LogFormat, level: string, message: string, fields: LogFields | undefined): string {
  const time = new Date().toISOString();
  if (format === 'json') {
    const extra = Object.fromEntries(Object.entries(fields ?? {}).filter(([k]) => !RESERVED.has(k)));
    // "serve: listening …" → component "serve", so shippers can filter without parsing the text.
    const component = /^([a-z][\w-]*): /.exec(message)?.[1];
    return JSON.stringify({ time, level, ...(component ? { component } : {}), msg: message, ...extra });
  }
  const pairs = Object.entries(fields ?? {}).map(([k, v]) => ` ${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  return `${time} ${level} ${message}${pairs.join('')}`;
}

export function makeStderrLogger(opts: StderrLoggerOptions = {}): Logger {
  const format = opts.format ?? 'text';
  const secrets = (opts.secrets ?? []).filter((s) => s.length > 0);
  const out = opts.write ?? ((line: string) => process.stderr.write(line));
  // Redacted before formatting: json escaping would otherwise hide a secret holding a quote from the search.
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const write = (level: string, message: string, fields?: LogFields) => {
    const clean = fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]));
    out(formatLine(format, level, redact(message), clean) + '\n');
  };
  return {
    debug: (m, f) => opts.debug && write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
