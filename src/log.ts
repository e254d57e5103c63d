/** Injected everywhere, never global. Messages name the component; secrets and whole packets are never logged. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function makeStderrLogger(opts: { debug?: boolean } = {}): Logger {
  const write = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  return {
    debug: (m) => opts.debug && write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
