// `radtrack purge --before T` (accounting.md §10): retention of closed sessions and the journal.
//
// Deletes closed sessions with logout < T (never open ones) with their usage_deltas, and journal entries with
// arrival < T. usage_hourly is kept: usage reports over purged months stay right to the hour; only edges of
// periods that are not whole UTC hours lose the purged sessions' share, and `sessions` counts only kept ones.
// Works in batches, one short transaction each, so the listener (which locks sessions in its own batches) is
// never held up for long. Every batch holds the 'purge' job row, so two runs at once take turns, and each
// row is deleted by exactly one of them.
import type { Knex } from 'knex';
import { withJobLock } from '../reconcile/job-lock.ts';

export const DEFAULT_PURGE_BATCH = 5000;

export interface PurgeOptions {
  before: Date;
  dryRun: boolean;
  batchSize?: number;
  /** Called after every batch with the running totals. */
  onProgress?: (totals: PurgeTotals) => void;
}

export interface PurgeTotals {
  sessions: number;
  usage_deltas: number;
  journal: number;
}

export interface PurgeSummary extends PurgeTotals {
  before: Date;
  dry_run: boolean;
}

// SKIP LOCKED: a session the listener holds right now (a late packet) is left for the next batch or run.
const SESSIONS_BATCH_SQL = `
  WITH victims AS (
    SELECT id FROM sessions WHERE logout IS NOT NULL AND logout < :before ORDER BY logout LIMIT :batch FOR UPDATE SKIP LOCKED
  ), deltas AS (
    DELETE FROM usage_deltas d USING victims v WHERE d.session_id = v.id RETURNING 1
  ), gone AS (
    DELETE FROM sessions s USING victims v WHERE s.id = v.id RETURNING 1
  )
  SELECT (SELECT count(*)::int FROM gone) AS sessions, (SELECT count(*)::int FROM deltas) AS usage_deltas`;

const JOURNAL_BATCH_SQL = `
  WITH gone AS (
    DELETE FROM journal WHERE id IN (SELECT id FROM journal WHERE arrival < :before ORDER BY arrival LIMIT :batch)
    RETURNING 1
  )
  SELECT count(*)::int AS journal FROM gone`;

const DRY_RUN_SQL = `
  SELECT (SELECT count(*)::int FROM sessions WHERE logout IS NOT NULL AND logout < :before) AS sessions,
         (SELECT count(*)::int FROM usage_deltas d JOIN sessions s ON s.id = d.session_id
           WHERE s.logout IS NOT NULL AND s.logout < :before) AS usage_deltas,
         (SELECT count(*)::int FROM journal WHERE arrival < :before) AS journal`;

/** Runs one batch under the job lock; returns what it deleted. */
async function batch<T>(knex: Knex, sql: string, bindings: Record<string, unknown>): Promise<T> {
  const outcome = await withJobLock(knex, 'purge', { wait: true }, async (trx) => {
    const { rows } = await trx.raw(sql, bindings);
    return { value: rows[0] as T };
  });
  if (!outcome.ran) throw new Error('purge: the job lock was not taken'); // cannot happen with wait: true
  return outcome.value;
}

export async function purge(knex: Knex, opts: PurgeOptions): Promise<PurgeSummary> {
  const bindings = { before: opts.before, batch: opts.batchSize ?? DEFAULT_PURGE_BATCH };
  const totals: PurgeTotals = { sessions: 0, usage_deltas: 0, journal: 0 };
  if (opts.dryRun) {
    const { rows } = await knex.raw(DRY_RUN_SQL, bindings);
    return { before: opts.before, dry_run: true, ...(rows[0] as PurgeTotals) };
  }
  for (;;) {
    const done = await batch<{ sessions: number; usage_deltas: number }>(knex, SESSIONS_BATCH_SQL, bindings);
    if (done.sessions === 0) break;
    totals.sessions += done.sessions;
    totals.usage_deltas += done.usage_deltas;
    opts.onProgress?.({ ...totals });
  }
  for (;;) {
    const done = await batch<{ journal: number }>(knex, JOURNAL_BATCH_SQL, bindings);
    if (done.journal === 0) break;
    totals.journal += done.journal;
    opts.onProgress?.({ ...totals });
  }
  return { before: opts.before, dry_run: false, ...totals };
}
