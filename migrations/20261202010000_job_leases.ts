import type { Knex } from 'knex';

// Cron jobs hold a lease, not a transaction (docs/architecture.md "Jobs"):
//
// * job_locks.holder / held_until: a run takes its job's row by writing its name and an expiry, renews it while
//   it works and clears it when done. Until now a run held the row with SELECT … FOR UPDATE for one long
//   transaction. That transaction is what kept reconcile from writing in short, per-NAS steps, and on the
//   embedded backend (one PGlite session for every client, whose transactions take turns) it held the
//   listener up for the whole run. A run that is killed leaves a lease that simply expires.
// * nas.interim_interval is at most a day (RFC 2869 §5.16 has no bound, but an interim a day apart is already
//   rare; "nas add" refuses more). 3 × an interval near 2^31 overflowed integer arithmetic in reconcile and
//   "report nas" for every NAS. Larger values in an existing table become a day.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE job_locks ADD COLUMN holder text, ADD COLUMN held_until timestamptz;
    UPDATE nas SET interim_interval = 86400 WHERE interim_interval > 86400;
    ALTER TABLE nas ADD CONSTRAINT nas_interim_interval_day CHECK (interim_interval <= 86400);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE nas DROP CONSTRAINT IF EXISTS nas_interim_interval_day;
    ALTER TABLE job_locks DROP COLUMN IF EXISTS held_until, DROP COLUMN IF EXISTS holder;
  `);
}
