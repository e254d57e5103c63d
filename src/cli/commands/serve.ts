import type { CommandModule } from 'yargs';
import { resolveDatabaseTarget } from '../../config/database.ts';
import { DatabaseInUseError } from '../../db/open.ts';
import { makeStderrLogger } from '../../log.ts';
import { startDaemon, stopOnSignals } from '../../server/daemon.ts';
import type { GlobalArgs } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';

interface ServeArgs extends GlobalArgs {
  host: string;
  port: number;
  batchSize: number;
  batchDelay: number;
}

export const serveCommand: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'run the accounting listener until SIGINT/SIGTERM',
  builder: (y) =>
    y
      .option('host', { type: 'string', default: process.env.RADTRACK_HOST ?? '0.0.0.0', describe: 'address to listen on (RADTRACK_HOST)' })
      .option('port', { type: 'number', default: Number(process.env.RADTRACK_PORT ?? 1813), describe: 'UDP port (RADTRACK_PORT)' })
      .option('batch-size', { type: 'number', default: 500, describe: 'most packets committed in one transaction' })
      .option('batch-delay', { type: 'number', default: 2, describe: 'milliseconds to gather a batch when idle' }) as never,
  handler: async (argv) => {
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) {
      throw new UsageError(`--port: ${argv.port} is not a UDP port; use 0-65535`);
    }
    if (!(argv.batchSize >= 1 && argv.batchSize <= 5000)) throw new UsageError('--batch-size: use 1-5000');
    if (!(argv.batchDelay >= 0 && argv.batchDelay <= 1000)) throw new UsageError('--batch-delay: use 0-1000 (ms)');
    const log = makeStderrLogger({ debug: argv.debug });
    let daemon;
    try {
      daemon = await startDaemon({
        target: resolveDatabaseTarget({ db: argv.db, dataDir: argv.dataDir }),
        host: argv.host,
        port: argv.port,
        batchMaxSize: argv.batchSize,
        batchMaxDelayMs: argv.batchDelay,
        log,
      });
    } catch (err) {
      if (err instanceof DatabaseInUseError) throw new CliError(err.message);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new CliError(`udp ${argv.host}:${argv.port} is in use; stop the other listener or use --port`);
      if (code === 'EACCES') throw new CliError(`no permission to listen on udp port ${argv.port}; use a port above 1023 or run with the capability`);
      throw err;
    }
    await stopOnSignals(daemon, log);
  },
};
