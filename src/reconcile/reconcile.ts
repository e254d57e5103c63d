// `radtrack reconcile` (accounting.md §10): close stale sessions, report silent NASes. Run by cron.
//
// A session is stale when it is open and its last update is older than its NAS's quiet limit: 3 × the NAS's
// interim interval, or --stale-after for every NAS. It is closed at logout = last_update (never "now": nothing
// shows it lasted longer), close_reason 'stale', logout_estimated. Its covered interval [login, last_update]
// does not change, so usage needs no delta.
//
// A NAS is silent when no packet at all (Status-Server included) came within that limit; one never heard from
// counts once it has been registered that long. Its sessions are stale too, but they are left open unless
// closeSilent: a silent NAS is more often unreachable than down, and its users are then still online — closing
// them would turn every later Interim into a late_interim on a closed session.
import type { Knex } from 'knex';
import { SILENT_AFTER_INTERVALS } from '../reports/nas-status.ts';
import { withJobLock } from './job-lock.ts';

export interface ReconcileOptions {
  now: Date;
  /** Overrides 3 × interim_interval for every NAS. */
  staleAfterSeconds?: number;
  closeSilent: boolean;
  dryRun: boolean;
}

export interface StaleSession {
  id: bigint;
  username: string;
  nas_ip: string;
  login: Date;
  /** The logout it gets (or got): its last update. */
  last_update: Date;
  /** Its NAS was silent (closed only with closeSilent). */
  silent_nas: boolean;
}

export interface SilentNas {
  address: string;
  name: string | null;
  last_seen: Date | null;
  quiet_limit_seconds: number;
  open_sessions: number;
}

export interface ReconcileSummary {
  /** Another run held the lock; nothing was looked at. */
  skipped: boolean;
  dry_run: boolean;
  at: Date;
  /** Sessions closed as stale (or, in a dry run, that would be). */
  closed: StaleSession[];
  /** Stale sessions of silent NASes left open (no closeSilent). */
  left_open: number;
  silent_nas: SilentNas[];
  /** Compared with the last (non-dry) run: NASes that went down, and that came back. */
  newly_down: string[];
  back_up: string[];
}

/** Something a cron job should hear about: sessions closed, or the set of down NASes changed. */
export function reconcileChanged(s: ReconcileSummary): boolean {
  return s.closed.length > 0 || s.newly_down.length > 0 || s.back_up.length > 0;
}

// Per NAS: its quiet limit and whether it is silent, as of :now.
const NAS_QUIET_SQL = `
  SELECT n.id, host(n.address) AS address, n.name, n.last_seen,
         coalesce(:stale_after::int, :intervals::int * n.interim_interval) AS quiet_limit_seconds,
         coalesce(n.last_seen, n.created_at) < :now::timestamptz
           - make_interval(secs => coalesce(:stale_after::int, :intervals::int * n.interim_interval)) AS silent
  FROM nas n`;

// Open sessions past their NAS's quiet limit. They are selected FOR UPDATE: a row the listener changed meanwhile
// (a late Stop, a new Interim) is re-evaluated after its lock is released, so it is never closed over the update.
const STALE_FROM_WHERE = `
  FROM sessions s
  JOIN (${NAS_QUIET_SQL}) q ON q.id = s.nas_id
  JOIN accounts a ON a.id = s.account_id
  WHERE s.logout IS NULL AND s.last_update < :now::timestamptz - make_interval(secs => q.quiet_limit_seconds)`;

const STALE_COLUMNS = 's.id, a.username, q.address AS nas_ip, s.login, s.last_update, q.silent AS silent_nas';

export async function reconcile(knex: Knex, opts: ReconcileOptions): Promise<ReconcileSummary> {
  const bindings = { now: opts.now, stale_after: opts.staleAfterSeconds ?? null, intervals: SILENT_AFTER_INTERVALS };
  const outcome = await withJobLock(knex, 'reconcile', { wait: false }, async (trx, state) => {
    const { rows: candidates } = await trx.raw<{ rows: StaleSession[] }>(
      `SELECT ${STALE_COLUMNS} ${STALE_FROM_WHERE} ORDER BY s.nas_id, s.last_update${opts.dryRun ? '' : ' FOR UPDATE OF s'}`,
      bindings,
    );
    const toClose = candidates.filter((c) => opts.closeSilent || !c.silent_nas);
    if (!opts.dryRun && toClose.length > 0) {
      await trx.raw(
        `UPDATE sessions SET logout = last_update, close_reason = 'stale', logout_estimated = true, updated_at = :now
         WHERE id = ANY (:ids::bigint[]) AND logout IS NULL`,
        { now: opts.now, ids: `{${toClose.map((c) => c.id).join(',')}}` },
      );
    }
    const { rows: silent } = await trx.raw<{ rows: SilentNas[] }>(
      `SELECT q.address, q.name, q.last_seen, q.quiet_limit_seconds,
              (SELECT count(*)::int FROM sessions s WHERE s.nas_id = q.id AND s.logout IS NULL) AS open_sessions
       FROM (${NAS_QUIET_SQL}) q WHERE q.silent ORDER BY q.address`,
      bindings,
    );
    const before = new Set(Array.isArray(state.down) ? (state.down as string[]) : []);
    const down = silent.map((n) => n.address);
    const summary: ReconcileSummary = {
      skipped: false,
      dry_run: opts.dryRun,
      at: opts.now,
      closed: toClose,
      left_open: candidates.length - toClose.length,
      silent_nas: silent,
      newly_down: down.filter((a) => !before.has(a)),
      back_up: [...before].filter((a) => !down.includes(a)),
    };
    return { value: summary, state: opts.dryRun ? undefined : { down } };
  });
  if (outcome.ran) return outcome.value;
  return { skipped: true, dry_run: opts.dryRun, at: opts.now, closed: [], left_open: 0, silent_nas: [], newly_down: [], back_up: [] };
}
