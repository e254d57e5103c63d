// Mocha global fixtures: one database per mocha run, on the backend named by RADTRACK_TEST_BACKEND.
//   postgres: a fresh database radtrack_test_<hex> on the server RADTRACK_TEST_SERVER_URL, dropped afterwards
//   embedded: a fresh PGlite data folder, hosted by this process on a unix socket (as `radtrack serve` does)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedHost, type EmbeddedHost } from '../../src/db/embedded/host.ts';
import { createKnex } from '../../src/db/knex.ts';
import { migrateLatest } from '../../src/db/migrations.ts';

let host: EmbeddedHost | null = null;
let dataDir: string | null = null;
let dropDb: (() => Promise<void>) | null = null;

export async function mochaGlobalSetup(): Promise<void> {
  const backend = process.env.RADTRACK_TEST_BACKEND ?? 'embedded';
  if (backend === 'postgres') {
    const serverUrl = process.env.RADTRACK_TEST_SERVER_URL;
    if (!serverUrl) throw new Error('test: RADTRACK_TEST_SERVER_URL is not set for the postgres backend');
    const name = `radtrack_test_${randomBytes(4).toString('hex')}`;
    const admin = createKnex(serverUrl, 1);
    await admin.raw(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const url = new URL(serverUrl);
    url.pathname = '/' + name;
    process.env.RADTRACK_TEST_DB_URL = url.toString();
    dropDb = async () => {
      if (process.env.KEEP_TEST_DB === '1') return;
      const k = createKnex(serverUrl, 1);
      await k.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await k.destroy();
    };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'radtrack-test-'));
    // Short, so the test of a client left idle in a transaction runs quickly (production default 30 s).
    host = await startEmbeddedHost(dataDir, 'test', undefined, { idleInTransactionMs: 2000 });
    process.env.RADTRACK_TEST_DATA_DIR = dataDir;
  }
  const { testConnection } = await import('../helpers/db.ts');
  const knex = createKnex(testConnection(), 1);
  await migrateLatest(knex);
  await knex.destroy();
}

export async function mochaGlobalTeardown(): Promise<void> {
  const { closeTestKnex } = await import('../helpers/db.ts');
  const { closeFixtures } = await import('../helpers/fixtures.ts');
  await closeFixtures();
  await closeTestKnex();
  if (host) await host.stop();
  if (dataDir && process.env.KEEP_TEST_DB !== '1') rmSync(dataDir, { recursive: true, force: true });
  if (dropDb) await dropDb();
}


