// Mutual exclusion of cron jobs (accounting.md §10: "safe to run twice at once — one waits or skips").
// A job holds its job_locks row with SELECT … FOR UPDATE for the length of a transaction. pg_advisory_lock
// would not do: on the embedded backend every connection shares one PGlite session, so an advisory lock
// taken by one run is already "held" by the other. A row lock works on both backends.
import type { Knex } from 'knex';

export type JobState = Record<string, unknown>;

export type JobOutcome<T> = { ran: true; value: T } | { ran: false };

/** SQLSTATE lock_not_available: FOR UPDATE NOWAIT found the row held by another run. */
const LOCK_NOT_AVAILABLE = '55P03';

const busy = Symbol('job busy');

export interface JobLockOptions {
  /** true: wait for a running holder to finish; false: give up at once ({ ran: false }). */
  wait: boolean;
}

/**
 * Runs `fn` in a transaction that holds the job's lock row. `fn` gets the state the previous run stored and
 * may return a new one, saved in the same transaction (so a failed run leaves the old state); a run that
 * returns no state (a dry run) leaves the row as it was.
 */
export async function withJobLock<T>(
  knex: Knex,
  name: string,
  opts: JobLockOptions,
  fn: (trx: Knex.Transaction, state: JobState) => Promise<{ value: T; state?: JobState }>,
): Promise<JobOutcome<T>> {
  // Outside the transaction: ON CONFLICT DO NOTHING on a committed row never waits for its holder.
  await knex.raw('INSERT INTO job_locks (name) VALUES (?) ON CONFLICT (name) DO NOTHING', [name]);
  try {
    return await knex.transaction(async (trx) => {
      let state: JobState;
      try {
        const { rows } = await trx.raw(`SELECT state FROM job_locks WHERE name = ? FOR UPDATE${opts.wait ? '' : ' NOWAIT'}`, [name]);
        state = (rows[0]?.state ?? {}) as JobState;
      } catch (err) {
        if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) throw busy;
        throw err;
      }
      const out = await fn(trx, state);
      if (out.state !== undefined) {
        await trx.raw('UPDATE job_locks SET last_run_at = now(), state = ?::jsonb WHERE name = ?', [JSON.stringify(out.state), name]);
      }
      return { ran: true as const, value: out.value };
    });
  } catch (err) {
    if (err === busy) return { ran: false };
    throw err;
  }
}
