import type { Knex } from 'knex';

// Reconcile reads the open sessions of one NAS a page at a time, in id order (keyset pages: WHERE nas_id = $1 AND
// id > $2 ORDER BY id). sessions_open had no index that answers that: the planner walked sessions_open_id_uq from
// the page's first id and skipped every other NAS's rows, so each page of one NAS read about as many rows as
// there are NASes times the page — with 1,000,000 open sessions on 20 NASes, 20 million row visits for one
// run (bench/reports.ts measured 238 s). With (nas_id, id) each page is one range of the index.
//
// What it costs ingest: one more index entry per new open session, at the end of its NAS's range (ids grow).
// Interim updates stay HOT: neither column ever changes while a session is open.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX sessions_open_nas_id_idx ON sessions_open (nas_id, id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS sessions_open_nas_id_idx`);
}
