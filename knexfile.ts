// For the knex CLI (`npm run knex -- migrate:status`). radtrack itself never reads this file: every command
// opens the database through src/db/open.ts and applies migrations with the same migrationSource.
import type { Knex } from 'knex';
import { resolveDatabaseTarget } from './src/config/database.ts';
import { readLock } from './src/db/embedded/lock.ts';
import { embeddedConnection } from './src/db/knex.ts';
import { migrationSource } from './src/db/migrations.ts';

function connection(): Knex.Config['connection'] {
  const target = resolveDatabaseTarget({});
  if (target.kind === 'postgres') return target.url;
  const holder = readLock(target.dataDir);
  if (!holder) {
    throw new Error(`knexfile: no radtrack process is serving the embedded database in ${target.dataDir}; ` +
      'start "radtrack serve", or use "radtrack migrate", or set DATABASE_URL');
  }
  return embeddedConnection(holder.socketDir);
}

const config: Knex.Config = {
  client: 'pg',
  connection: connection(),
  migrations: { migrationSource },
};

export default config;
