import { runSeeds } from '../../admin/seed.ts';
import { defineCommand, withDatabase } from '../context.ts';
import { printRows } from '../output.ts';

export const seedCommand = defineCommand({
  command: 'seed',
  describe: 'add development fixtures (a NAS 127.0.0.1 "dev-loopback", secret testing123); safe to run again',
  handler: (argv) =>
    withDatabase(argv, 'seed', async (knex) => {
      printRows(await runSeeds(knex), ['seed', 'result'], argv.format, { empty: 'no seeds' });
    }),
});
