import { ConfigError, parseHttpAddress } from '../../config/config.ts';
import { resolveDatabaseTarget } from '../../config/database.ts';
import { checkHealth } from '../../health/check.ts';
import { parsePositiveInt } from '../args.ts';
import { defineCommand } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { printMessage, printObject } from '../output.ts';

export const healthCommand = defineCommand({
  command: 'health',
  describe: 'exit 0 if the database and the running listener are healthy, else 1 with one line saying what is wrong',
  builder: (y) =>
    y
      .option('metrics', { type: 'string', describe: 'the --metrics HOST:PORT of radtrack serve, asked for its /health (RADTRACK_METRICS)' })
      .option('database-only', { type: 'boolean', default: false, describe: 'check only the database, not the listener' })
      .option('timeout', { type: 'string', default: '10', describe: 'seconds to wait for each answer', coerce: (v: string) => parsePositiveInt(v, '--timeout') }),
  handler: async (argv) => {
    const text = argv.metrics ?? process.env.RADTRACK_METRICS;
    let metrics = null;
    try {
      if (text !== undefined && text.trim() !== '' && !argv.databaseOnly) metrics = parseHttpAddress(text, '--metrics / RADTRACK_METRICS');
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    if (!metrics && !argv.databaseOnly) {
      throw new UsageError('health: give --metrics HOST:PORT (or RADTRACK_METRICS), the address radtrack serve serves /health on, or --database-only');
    }
    const report = await checkHealth({ target: resolveDatabaseTarget({ db: argv.db, dataDir: argv.dataDir }), metrics, timeoutMs: argv.timeout * 1000 });
    if (report.problems.length > 0) throw new CliError(report.problems.join('; '));
    if (argv.format === 'table') printMessage(`healthy: ${report.fine.join('; ')}`, argv.format);
    else printObject({ healthy: true, checks: report.fine.join('; ') }, argv.format);
  },
});
