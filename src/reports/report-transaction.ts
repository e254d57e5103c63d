import type { Knex } from 'knex';

/**
 * Runs report SQL in a transaction of its own with settings for one big read, SET LOCAL so they end with it (on
 * the embedded backend, whose one session all clients share, too):
 * * jit off: a usage query over millions of rows has a high estimated cost, so PostgreSQL would JIT-compile it —
 *   and inlining + optimising its many numeric expressions took ~3 s of a 4 s query in the benchmark, for no gain
 *   at run time. PGlite has no JIT; the setting is accepted.
 * * work_mem 64MB: grouping and sorting one row per account (50,000 accounts in the benchmark) fits in memory,
 *   where the server's default 4MB spilled each sort and hash to disk (bench/reports.ts, EXPLAIN ANALYZE).
 */
export function reportTransaction<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`);
    return fn(trx);
  });
}
