import { describeTarget } from '../../config/database.ts';
import { migrateLatest } from '../../db/migrations.ts';
import { defineCommand, withDatabase } from '../context.ts';
import { countOf, printMessage, printObject } from '../output.ts';

export const migrateCommand = defineCommand({
  command: 'migrate',
  describe: 'apply pending database migrations',
  handler: (argv) =>
    withDatabase(
      argv,
      'migrate',
      async (knex, db) => {
        const applied = await migrateLatest(knex);
        const target = describeTarget(db.target);
        if (argv.format !== 'table') return printObject({ database: target, applied }, argv.format);
        if (applied.length === 0) printMessage(`${target} is up to date`, argv.format);
        else printMessage(`applied ${countOf(applied.length, 'migration')} to ${target}:\n${applied.map((m) => `  ${m}`).join('\n')}`, argv.format);
      },
      { migrate: false },
    ),
});
