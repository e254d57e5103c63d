// The sessions family as people read it (docs/cli.md "A session object"): one row per session with its NAS,
// port and account resolved, for `radtrack sessions` and the session reports (`report online|who|conflicts`);
// and the count of the sessions that stand in the way of deleting an account or a NAS (accounting.md §7).
// The ingest path's own session SQL is src/db/sql/ingest.ts.
import type { Knex } from 'knex';
import type { DbSession } from '../rows.ts';

type SessionColumns = 'id' | 'acct_session_id' | 'login' | 'logout' | 'last_update' | 'close_reason' | 'terminate_cause'
  | 'session_time' | 'input_octets' | 'output_octets' | 'input_packets' | 'output_packets' | 'calling_station_id'
  | 'called_station_id' | 'logout_estimated' | 'flags' | 'interim_count';

/** A session as listed (docs/cli.md): the row's own columns, with its account, NAS and port resolved. */
export interface SessionRow extends Pick<DbSession, SessionColumns> {
  username: string;
  nas_ip: string;
  /** ports.port_key: NAS-Port-Id if the NAS sent one, else NAS-Port. */
  nas_port: string | null;
  status: 'open' | 'closed';
  framed_ip: string | null;
}

export interface SessionFilters {
  open?: boolean;
  username?: string;
  nasIp?: string;
  framedIp?: string;
  /** With `until`: sessions overlapping [since, until) — login < until and (open or logout ≥ since). */
  since?: Date;
  until?: Date;
  limit?: number;
}

export const DEFAULT_SESSION_LIMIT = 100;

/** The `select` list of a SessionRow, over `sessions s`, `accounts a`, `nas n`, `ports p`. */
const SESSION_ROW_SELECT = `
  s.id, a.username, host(n.address) AS nas_ip, p.port_key AS nas_port, s.acct_session_id,
  s.login, s.logout, s.last_update, CASE WHEN s.logout IS NULL THEN 'open' ELSE 'closed' END AS status,
  s.close_reason, s.terminate_cause, s.session_time, s.input_octets, s.output_octets, s.input_packets,
  s.output_packets, host(s.framed_ip) AS framed_ip, s.calling_station_id, s.called_station_id,
  s.logout_estimated, s.flags, s.interim_count`;

/** A query builder for session rows with their joins; callers add filters and order. */
function sessionRowsQuery(knex: Knex): Knex.QueryBuilder {
  return knex('sessions as s')
    .join('accounts as a', 'a.id', 's.account_id')
    .join('nas as n', 'n.id', 's.nas_id')
    .leftJoin('ports as p', 'p.id', 's.port_id')
    .select(knex.raw(SESSION_ROW_SELECT));
}

/** Sessions matching all given filters, newest login first. */
export async function listSessions(knex: Knex, f: SessionFilters = {}): Promise<SessionRow[]> {
  const q = sessionRowsQuery(knex);
  if (f.open) q.whereNull('s.logout');
  if (f.username !== undefined) q.where('a.username', f.username);
  if (f.nasIp !== undefined) q.whereRaw('n.address = ?::inet', [f.nasIp]);
  if (f.framedIp !== undefined) q.whereRaw('s.framed_ip = ?::inet', [f.framedIp]);
  if (f.until !== undefined) q.where('s.login', '<', f.until);
  if (f.since !== undefined) q.where((w) => w.whereNull('s.logout').orWhere('s.logout', '>=', f.since!));
  return q.orderBy([{ column: 's.login', order: 'desc' }, { column: 's.id', order: 'desc' }]).limit(f.limit ?? DEFAULT_SESSION_LIMIT);
}

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

/** Sessions flagged port_conflict (docs/accounting.md §6), newest login first; `open` keeps the unresolved ones. */
export async function conflictSessions(knex: Knex, f: { open?: boolean; limit?: number } = {}): Promise<SessionRow[]> {
  // Spelled as in the partial index sessions_conflict_idx so the planner can use it.
  const q = sessionRowsQuery(knex).whereRaw(`'port_conflict' = ANY (s.flags)`);
  if (f.open) q.whereNull('s.logout');
  q.orderBy([{ column: 's.login', order: 'desc' }, { column: 's.id', order: 'desc' }]);
  if (f.limit !== undefined) q.limit(f.limit);
  return q;
}

/** How many sessions, and how many of them open, reference an account or a NAS. */
export interface SessionCount {
  sessions: bigint;
  open: bigint;
}

/** The outcome of a delete that sessions block: how many stand in the way. */
export interface Referenced extends SessionCount {
  status: 'referenced';
}

export async function countSessions(db: Knex | Knex.Transaction, column: 'account_id' | 'nas_id', id: bigint): Promise<SessionCount> {
  const row = await db('sessions')
    .where(column, id.toString())
    .first(db.raw('count(*) as sessions'), db.raw('count(*) filter (where logout is null) as open'));
  return { sessions: BigInt(row?.sessions ?? 0), open: BigInt(row?.open ?? 0) };
}
