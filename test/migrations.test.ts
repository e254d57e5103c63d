import { expect } from 'chai';
import { migrateLatest, migrationConfig } from '../src/db/migrations.ts';
import { testKnex } from './helpers/db.ts';

describe('migrations', () => {
  it('round-trips: rollback all, then latest, then latest again is a no-op', async () => {
    const knex = testKnex();
    await knex.migrate.rollback(migrationConfig, true);
    const tables = await knex.raw(`select count(*)::int as n from information_schema.tables where table_name = 'sessions'`);
    expect(tables.rows[0].n).to.equal(0);
    const applied = await migrateLatest(knex);
    expect(applied.length).to.be.greaterThan(0);
    expect(await migrateLatest(knex)).to.deep.equal([]);
  });
});
