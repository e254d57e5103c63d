// Sessions standing in the way of deleting an account or a NAS (accounting.md §7).
import type { Knex } from 'knex';

// ON DELETE RESTRICT is reported as 23503 (foreign_key_violation) by PostgreSQL ≤ 17 and as 23001
// (restrict_violation) by PostgreSQL 18, which the embedded PGlite is. Match codes, never message text.
const FK_REFUSAL_SQLSTATES = new Set(['23503', '23001']);

export function isReferencedError(err: unknown): boolean {
  return FK_REFUSAL_SQLSTATES.has((err as { code?: string } | null)?.code ?? '');
}

export interface SessionCount {
  sessions: bigint;
  open: bigint;
}

export async function countSessions(knex: Knex, column: 'account_id' | 'nas_id', id: bigint): Promise<SessionCount> {
  const row = await knex('sessions')
    .where(column, id.toString())
    .first(knex.raw('count(*) as sessions'), knex.raw('count(*) filter (where logout is null) as open'));
  return { sessions: BigInt(row?.sessions ?? 0), open: BigInt(row?.open ?? 0) };
}

/** Refusal outcome of a delete that sessions block. */
export interface Referenced extends SessionCount {
  status: 'referenced';
}

/** Runs a single-row delete; on a foreign-key refusal reports how many sessions (and how many open) block it. */
export async function deleteUnlessReferenced(
  knex: Knex,
  table: 'accounts' | 'nas',
  id: bigint,
  column: 'account_id' | 'nas_id',
): Promise<{ status: 'deleted' | 'not_found' } | Referenced> {
  try {
    const deleted = await knex(table).where('id', id.toString()).delete();
    return { status: deleted > 0 ? 'deleted' : 'not_found' };
  } catch (err) {
    if (!isReferencedError(err)) throw err;
    return { status: 'referenced', ...(await countSessions(knex, column, id)) };
  }
}
