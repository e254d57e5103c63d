// `radtrack purge --before T` (docs/accounting.md §10): retention of closed sessions and the journal.
//
// Deletes closed sessions with logout < T (never open ones: they are in sessions_open) and journal entries with
// arrival < T. A month that lies wholly before T goes at once: its partition is dropped. The month T falls in
// is deleted from in small batches, each one short transaction, so the listener is never held up for long.
// Usage stays: usage_deltas and usage_hourly are kept, and each purged session leaves its span in
// session_spans, so every usage report gives the same rows before and after (docs/accounting.md "Purge").
// A run holds the 'purge' job lease (src/db/sql/job-locks.ts): a second run at once waits its turn, and each row
// goes exactly once. A batch of the listener that read a session purge deletes meanwhile starts over
// (radtrack_write_batch).
import type { Knex } from 'knex';
import {
  countPurgeable,
  dropJournalMonth,
  dropSessionMonth,
  monthPartitions,
  purgeJournalOf,
  purgeSessionsOf,
  type MonthPartition,
} from '../db/sql/partitions.ts';
import { withJobLease, type JobLease } from '../db/sql/job-locks.ts';

export const DEFAULT_PURGE_BATCH = 5000;

export interface PurgeOptions {
  before: Date;
  dryRun: boolean;
  batchSize?: number;
  /** Called after every step with the running totals. */
  onProgress?: (totals: PurgeTotals) => void;
}

export interface PurgeTotals {
  sessions: number;
  journal: number;
}

export interface PurgeSummary extends PurgeTotals {
  before: Date;
  dry_run: boolean;
  /** Months dropped whole (sessions and journal partitions). */
  months_dropped: string[];
}

/** One step: one short transaction, while the lease is still ours. */
function stepOf(knex: Knex, lease: JobLease) {
  return <T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> => {
    lease.check();
    return knex.transaction(fn);
  };
}

const monthName = (p: MonthPartition) => p.from.toISOString().slice(0, 7);

export async function purge(knex: Knex, opts: PurgeOptions): Promise<PurgeSummary> {
  if (opts.dryRun) return { before: opts.before, dry_run: true, months_dropped: [], ...(await countPurgeable(knex, opts.before)) };
  const outcome = await withJobLease(knex, 'purge', { wait: true }, async (lease) => ({ value: await purgeHolding(knex, opts, stepOf(knex, lease)) }));
  if (!outcome.ran) throw new Error('purge: the job lease was not taken'); // cannot happen with wait: true
  return outcome.value;
}

type Step = ReturnType<typeof stepOf>;

async function purgeHolding(knex: Knex, opts: PurgeOptions, step: Step): Promise<PurgeSummary> {
  const { before } = opts;
  const limit = opts.batchSize ?? DEFAULT_PURGE_BATCH;
  const totals: PurgeTotals = { sessions: 0, journal: 0 };
  const dropped = new Set<string>();
  const report = (n: number) => n > 0 && opts.onProgress?.({ ...totals });

  for (const p of await monthPartitions(knex, 'sessions')) {
    if (p.from >= before) continue;
    if (p.to <= before) {
      const n = await step((trx) => dropSessionMonth(trx, p));
      totals.sessions += n;
      dropped.add(monthName(p));
      report(n);
      continue;
    }
    for (let n = -1; n !== 0; ) {
      n = await step((trx) => purgeSessionsOf(trx, p, before, limit));
      totals.sessions += n;
      report(n);
    }
  }
  for (const p of await monthPartitions(knex, 'journal')) {
    if (p.from >= before) continue;
    if (p.to <= before) {
      const n = await step((trx) => dropJournalMonth(trx, p));
      totals.journal += n;
      dropped.add(monthName(p));
      report(n);
      continue;
    }
    for (let n = -1; n !== 0; ) {
      n = await step((trx) => purgeJournalOf(trx, p.name, before, limit));
      totals.journal += n;
      report(n);
    }
  }
  for (let n = -1; n !== 0; ) {
    n = await step((trx) => purgeJournalOf(trx, 'journal_legacy', before, limit));
    totals.journal += n;
    report(n);
  }
  return { before, dry_run: false, months_dropped: [...dropped].sort(), ...totals };
}
