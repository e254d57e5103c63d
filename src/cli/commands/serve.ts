import type { Argv } from 'yargs';
import { ConfigError, LISTENER_DEFAULTS, loadServeConfig } from '../../config/config.ts';
import { DatabaseInUseError } from '../../db/open.ts';
import { makeStderrLogger } from '../../log.ts';
import { startDaemon, stopOnSignals } from '../../server/daemon.ts';
import { defineCommand, type GlobalArgs } from '../context.ts';
import { CliError, secretsOfUrl, UsageError } from '../errors.ts';

function serveOptions(y: Argv<GlobalArgs>) {
  return y
    .option('host', { type: 'string', describe: `address to listen on (RADTRACK_HOST; default ${LISTENER_DEFAULTS.host})` })
    .option('port', { type: 'number', describe: `UDP port (RADTRACK_PORT; default ${LISTENER_DEFAULTS.port})` })
    .option('writers', { alias: 'workers', type: 'number', describe: `batches committed at once, one database connection each (RADTRACK_WRITERS; default ${LISTENER_DEFAULTS.lanes})` })
    .option('batch-size', { type: 'number', describe: `most packets committed in one transaction (default ${LISTENER_DEFAULTS.batchMaxSize})` })
    .option('seed-dev', { type: 'boolean', describe: 'register the development NAS 127.0.0.1 / testing123 first, on the embedded database only (npm start)' })
    .option('metrics', { type: 'string', describe: 'serve Prometheus /metrics and /health on HOST:PORT, e.g. 127.0.0.1:9813 (RADTRACK_METRICS; default off)' });
}

export const serveCommand = defineCommand({
  command: 'serve',
  describe: 'run the accounting listener until SIGINT/SIGTERM',
  builder: serveOptions,
  handler: async (argv) => {
    let config;
    try {
      config = loadServeConfig({ db: argv.db, dataDir: argv.dataDir, host: argv.host, port: argv.port, writers: argv.writers, batchSize: argv.batchSize, seedDev: argv.seedDev, metrics: argv.metrics, logFormat: argv.logFormat });
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const dbUrl = config.database.kind === 'postgres' ? config.database.url : undefined;
    const log = makeStderrLogger({ debug: argv.debug, format: config.logFormat, secrets: secretsOfUrl(dbUrl) });
    let daemon;
    try {
      daemon = await startDaemon(config, log);
    } catch (err) {
      if (err instanceof DatabaseInUseError) throw new CliError(err.message);
      const code = (err as NodeJS.ErrnoException).code;
      const { host, port } = config.listener;
      if (code === 'EADDRINUSE') throw new CliError(`udp ${host}:${port} is in use; stop the other listener or use --port`);
      if (code === 'EACCES') throw new CliError(`no permission to listen on udp port ${port}; use a port above 1023 or run with the capability`);
      throw err;
    }
    await stopOnSignals(daemon, log);
  },
});
