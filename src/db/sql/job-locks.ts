// The job_locks table: one row per cron job (reconcile, purge), and the lease a run holds on it.
//
// docs/accounting.md §10: every job is "safe to run twice at once — one waits or skips". A run takes the lease by
// writing its holder name and an expiry into the row, in one autocommit UPDATE that only succeeds when the row is
// free or its lease ran out. While it works the lease is renewed; when it is done the lease is cleared and the
// job's state saved. No transaction is held open for the run: the job does its work in short transactions of its
// own (the listener is never held up for long), and a killed run only leaves a lease that expires.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';

export type JobState = Record<string, unknown>;

export type JobOutcome<T> = { ran: true; value: T } | { ran: false; holder: string; heldUntil: Date };

export interface JobLeaseOptions {
  /** true: wait for a running holder to finish (purge); false: give up at once (reconcile, run by cron). */
  wait: boolean;
  /** How long a lease lasts without renewal (it is renewed every third of that). */
  leaseMs?: number;
}

export interface JobLease {
  /** Throws if the lease was lost (not renewed in time, and taken by another run): stop before writing more. */
  check(): void;
}

const DEFAULT_LEASE_MS = 60_000;
const WAIT_POLL_MS = 200;

export class JobLeaseLostError extends Error {}

/** Who holds a lease, as shown to a run that finds it taken. */
function holderName(): string {
  return `${hostname()} pid ${process.pid} ${randomBytes(3).toString('hex')}`;
}

/** Not taken: who holds it (null: it was given back between the two statements; try again). */
type Attempt = { taken: true; state: JobState } | { taken: false; holder: string | null; heldUntil: Date };

async function tryTake(knex: Knex, name: string, holder: string, leaseMs: number): Promise<Attempt> {
  const { rows } = await knex.raw<{ rows: { state: JobState }[] }>(
    `UPDATE job_locks SET holder = ?, held_until = now() + ? * interval '1 millisecond'
      WHERE name = ? AND (holder IS NULL OR held_until < now())
      RETURNING state`,
    [holder, leaseMs, name],
  );
  if (rows.length > 0) return { taken: true, state: rows[0]!.state };
  const { rows: held } = await knex.raw<{ rows: { holder: string | null; held_until: Date | null }[] }>(
    'SELECT holder, held_until FROM job_locks WHERE name = ?',
    [name],
  );
  return { taken: false, holder: held[0]?.holder ?? null, heldUntil: held[0]?.held_until ?? new Date() };
}

/**
 * Runs `fn` holding the job's lease. `fn` gets the state the previous run saved and may return a new one, saved
 * as the lease is given back (a failed run, or one that returns no state such as a dry run, leaves it as it was).
 */
export async function withJobLease<T>(
  knex: Knex,
  name: string,
  opts: JobLeaseOptions,
  fn: (lease: JobLease, state: JobState) => Promise<{ value: T; state?: JobState }>,
): Promise<JobOutcome<T>> {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const holder = holderName();
  await knex.raw('INSERT INTO job_locks (name) VALUES (?) ON CONFLICT (name) DO NOTHING', [name]);
  let taken = await tryTake(knex, name, holder, leaseMs);
  while (!taken.taken) {
    if (taken.holder !== null) {
      if (!opts.wait) return { ran: false, holder: taken.holder, heldUntil: taken.heldUntil };
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
    taken = await tryTake(knex, name, holder, leaseMs);
  }

  let lost: Error | null = null;
  let renewing: Promise<void> = Promise.resolve();
  const renew = setInterval(() => {
    renewing = knex
      .raw<{ rowCount: number }>(
        `UPDATE job_locks SET held_until = now() + ? * interval '1 millisecond' WHERE name = ? AND holder = ?`,
        [leaseMs, name, holder],
      )
      .then((r) => {
        if (r.rowCount === 0) lost = new JobLeaseLostError(`${name}: the job lease was lost (another run took it); stopped`);
      })
      .catch(() => undefined); // a failed renewal is retried next time; the lease lasts three periods
  }, Math.max(1, Math.floor(leaseMs / 3)));
  const lease: JobLease = {
    check() {
      if (lost) throw lost;
    },
  };

  let out: { value: T; state?: JobState } | undefined;
  try {
    out = await fn(lease, taken.state);
    lease.check();
  } finally {
    clearInterval(renew);
    await renewing;
    const state = out?.state;
    await knex.raw(
      `UPDATE job_locks SET holder = NULL, held_until = NULL
              ${state !== undefined ? ', last_run_at = now(), state = ?::jsonb' : ''}
        WHERE name = ? AND holder = ?`,
      state !== undefined ? [JSON.stringify(state), name, holder] : [name, holder],
    );
  }
  return { ran: true, value: out.value };
}
