import type { Knex } from 'knex';

// Billing cycles (docs/accounting.md §7): an account may be billed from an anchor day of the month at local
// midnight in its own zone, instead of by calendar month. Both columns are nullable: no anchor day means
// calendar months; no zone means the zone the report is asked in (--tz). Days stop at 28 so that every month
// has the anchor day. The zone's name is checked by the CLI (PostgreSQL has no check of an IANA name that
// works alike on every server and on PGlite).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts
      ADD COLUMN cycle_day smallint CONSTRAINT accounts_cycle_day_range CHECK (cycle_day BETWEEN 1 AND 28),
      ADD COLUMN cycle_tz text CONSTRAINT accounts_cycle_tz_nonempty CHECK (cycle_tz <> '');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE accounts DROP COLUMN IF EXISTS cycle_tz, DROP COLUMN IF EXISTS cycle_day`);
}
