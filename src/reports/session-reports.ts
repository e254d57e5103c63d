// Reports that list sessions (cli.md `report online`, `report who`, `report conflicts`), as the session
// objects of cli.md: the row shape and joins are those of `radtrack sessions` (src/admin/sessions.ts).
import type { Knex } from 'knex';
import { sessionRowsQuery, type SessionRow } from '../admin/sessions.ts';

export interface OnlineReport {
  count: number;
  sessions: SessionRow[];
}

/** Open sessions now, newest login first; `count` is all of them, `sessions` at most `limit`. */
export async function onlineSessions(knex: Knex, f: { nasIp?: string; limit?: number } = {}): Promise<OnlineReport> {
  const byNas = (q: Knex.QueryBuilder) => (f.nasIp === undefined ? q : q.whereRaw('n.address = ?::inet', [f.nasIp]));
  const counted = await byNas(knex('sessions as s').join('nas as n', 'n.id', 's.nas_id').whereNull('s.logout')).count<{ n: bigint }[]>({ n: '*' });
  const q = byNas(sessionRowsQuery(knex).whereNull('s.logout')).orderBy([
    { column: 's.login', order: 'desc' },
    { column: 's.id', order: 'desc' },
  ]);
  if (f.limit !== undefined) q.limit(f.limit);
  return { count: Number(counted[0]!.n), sessions: await q };
}

/**
 * Who held a framed IP at an instant: sessions with login ≤ at < logout, or open and login ≤ at. The logout
 * instant itself belongs to the next holder, so at a hand-over exactly one session answers.
 */
export async function whoHeld(knex: Knex, ip: string, at: Date): Promise<SessionRow[]> {
  return sessionRowsQuery(knex)
    .whereRaw('s.framed_ip = ?::inet', [ip])
    .where('s.login', '<=', at)
    .where((w) => w.whereNull('s.logout').orWhere('s.logout', '>', at))
    .orderBy([{ column: 's.login', order: 'desc' }, { column: 's.id', order: 'desc' }]);
}

/** Sessions flagged port_conflict (accounting.md §6), newest login first; `open` keeps the unresolved ones. */
export async function conflictSessions(knex: Knex, f: { open?: boolean; limit?: number } = {}): Promise<SessionRow[]> {
  // Spelled as in the partial index sessions_conflict_idx so the planner can use it.
  const q = sessionRowsQuery(knex).whereRaw(`'port_conflict' = ANY (s.flags)`);
  if (f.open) q.whereNull('s.logout');
  q.orderBy([{ column: 's.login', order: 'desc' }, { column: 's.id', order: 'desc' }]);
  if (f.limit !== undefined) q.limit(f.limit);
  return q;
}
