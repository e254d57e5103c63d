import type { Knex } from 'knex';

/**
 * Runs report SQL with JIT compilation off. A usage query over millions of rows has a high estimated cost,
 * so PostgreSQL would JIT-compile it — and inlining + optimising its many numeric expressions took ~3 s of a
 * 4 s query in the benchmark, for no gain at run time. SET LOCAL keeps the setting to this transaction (on the
 * embedded backend, whose one session all clients share, too). PGlite has no JIT; the setting is accepted.
 */
export function withoutJit<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw('SET LOCAL jit = off');
    return fn(trx);
  });
}
