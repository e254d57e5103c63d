import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

export interface ClosedByRestart {
  id: bigint;
  account_id: bigint;
  last_update: Date;
}

/**
 * Accounting-On/Off (§4): closes every open session of the NAS that began at or before the restart, except
 * those the batch already holds in memory (it closes those itself). Returns what it closed, for usage.
 */
export async function closeNasSessions(
  db: Db,
  nasId: bigint,
  at: Date,
  terminateCause: string,
  exceptIds: bigint[],
): Promise<ClosedByRestart[]> {
  const { rows } = await db.raw<{ rows: ClosedByRestart[] }>(
    `UPDATE sessions SET logout = ?, close_reason = 'nas_restart', terminate_cause = ?, logout_estimated = true,
            updated_at = now()
     WHERE nas_id = ? AND logout IS NULL AND login <= ? AND NOT (id = ANY(?::bigint[]))
     RETURNING id, account_id, last_update`,
    [at, terminateCause, String(nasId), at, exceptIds.map(String)],
  );
  return rows;
}
