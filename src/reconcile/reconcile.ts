// `radtrack reconcile` (docs/accounting.md §10): close stale sessions, report silent NASes. Run by cron.
//
// A session is stale when it is open and its last update is older than its NAS's quiet limit
// (src/accounting/heartbeat.ts). It is closed at logout = last_update (never "now": nothing shows it lasted
// longer), close_reason 'stale', logout_estimated, session time logout − login. That rule lives in SQL, in
// radtrack_close_stale (migration 20261203050000_reconcile_nas_index), so a page never leaves the database.
//
// A NAS is silent when nothing at all (Status-Server included) came within that limit. Its sessions are stale
// too, but they are left open unless closeSilent: a silent NAS is more often unreachable than down, and its
// users are then still online — closing them would turn every later Interim into a late_interim.
//
// The run holds the 'reconcile' job lease (another run at the same time skips) and closes sessions a page at a
// time, each page one short transaction that first takes its NAS's ingest locks — the same locks, in the same
// order, as the listener (src/db/sql/ingest-locks.ts) — so a listener batch and reconcile never interleave on one
// session and cannot deadlock. A session the listener updated meanwhile is read after that update, and is no
// longer stale. A page is closed by one statement in the database (IngestConnection.closeStaleOfNas): a backlog
// of a million stale sessions never travels to this process and back.
import { isSilent, quietLimitSeconds } from '../accounting/heartbeat.ts';
import { IngestConnection, type StaleClosed } from '../db/sql/ingest.ts';
import { withJobLease, type JobLease } from '../db/sql/job-locks.ts';
import { nasHeartbeats, type NasHeartbeatRow } from '../db/sql/nas.ts';
import type { Database } from '../db/open.ts';

export interface ReconcileOptions {
  now: Date;
  /** Overrides 3 × interim_interval for every NAS. */
  staleAfterSeconds?: number;
  closeSilent: boolean;
  dryRun: boolean;
  /** Sessions closed per transaction. */
  pageSize?: number;
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
  /** Another run held the lease; nothing was looked at. */
  skipped: boolean;
  /** Who held it, when skipped. */
  held_by?: string;
  dry_run: boolean;
  at: Date;
  /** How many sessions were closed as stale (or, in a dry run, would be). */
  closed: number;
  /** The first LISTED_SESSIONS of them, by NAS and id. */
  closed_sessions: StaleSession[];
  /** Stale sessions of silent NASes left open (no closeSilent). */
  left_open: number;
  silent_nas: SilentNas[];
  /** Compared with the last (non-dry) run: NASes that went down, and that came back. */
  newly_down: string[];
  back_up: string[];
}

/** A summary names this many closed sessions; the rest are counted (a year-old backlog can be millions). */
export const LISTED_SESSIONS = 1000;

const DEFAULT_PAGE = 5000;
/** SQLSTATE check_violation: a closed session's month has no partition yet. */
const NO_PARTITION = '23514';

/** Something a cron job should hear about: sessions closed, or the set of down NASes changed. */
export function reconcileChanged(s: ReconcileSummary): boolean {
  return s.closed > 0 || s.newly_down.length > 0 || s.back_up.length > 0;
}

export async function reconcile(db: Pick<Database, 'knex' | 'connection'>, opts: ReconcileOptions): Promise<ReconcileSummary> {
  const outcome = await withJobLease(db.knex, 'reconcile', { wait: false }, async (lease, state) => {
    const summary = await run(db, opts, lease);
    const before = new Set(Array.isArray(state.down) ? (state.down as string[]) : []);
    const down = summary.silent_nas.map((n) => n.address);
    summary.newly_down = down.filter((a) => !before.has(a));
    summary.back_up = [...before].filter((a) => !down.includes(a));
    return { value: summary, state: opts.dryRun ? undefined : { down } };
  });
  if (outcome.ran) return outcome.value;
  return {
    skipped: true, held_by: outcome.holder, dry_run: opts.dryRun, at: opts.now,
    closed: 0, closed_sessions: [], left_open: 0, silent_nas: [], newly_down: [], back_up: [],
  };
}

async function run(db: Pick<Database, 'knex' | 'connection'>, opts: ReconcileOptions, lease: JobLease): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    skipped: false, dry_run: opts.dryRun, at: opts.now,
    closed: 0, closed_sessions: [], left_open: 0, silent_nas: [], newly_down: [], back_up: [],
  };
  const nases = await nasHeartbeats(db.knex);
  const conn = await IngestConnection.open(db.connection);
  try {
    const beforeOf = (nas: NasHeartbeatRow) => new Date(opts.now.getTime() - quietLimitSeconds(nas.interim_interval, opts.staleAfterSeconds) * 1000);
    const quiet = await conn.nasesWithQuietSessions(nases.map((n) => n.id), nases.map(beforeOf));
    for (const nas of nases) {
      const limit = quietLimitSeconds(nas.interim_interval, opts.staleAfterSeconds);
      const silent = isSilent({ lastSeen: nas.last_seen, createdAt: nas.created_at, interimInterval: nas.interim_interval }, opts.now, opts.staleAfterSeconds);
      if (silent) summary.silent_nas.push(silentNas(nas, limit));
      if (!quiet.has(nas.id)) continue;
      const before = beforeOf(nas);
      const close = !opts.dryRun && (opts.closeSilent || !silent);
      const list = (page: Listed[]) => {
        for (const p of page) {
          if (summary.closed_sessions.length >= LISTED_SESSIONS) break;
          summary.closed_sessions.push({ id: p.id, username: p.username, nas_ip: nas.address, login: p.login, last_update: p.lastUpdate, silent_nas: silent });
        }
      };
      const pageSize = opts.pageSize ?? DEFAULT_PAGE;
      if (close) {
        summary.closed += await closeStale(conn, nas.id, before, pageSize, lease, () => LISTED_SESSIONS - summary.closed_sessions.length, list);
        continue;
      }
      // A dry run, or a silent NAS whose sessions stay open: read, change nothing.
      await eachQuietPage(conn, nas, before, pageSize, lease, (page) => {
        if (!opts.closeSilent && silent) return void (summary.left_open += page.length);
        summary.closed += page.length;
        list(page);
      });
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
  return summary;
}

function silentNas(nas: NasHeartbeatRow, limit: number): SilentNas {
  return { address: nas.address, name: nas.name, last_seen: nas.last_seen, quiet_limit_seconds: limit, open_sessions: Number(nas.open_sessions) };
}

type Listed = { id: bigint; username: string; login: Date; lastUpdate: Date };

/** The NAS's open sessions last updated before `before`, a page at a time, read only. */
async function eachQuietPage(
  conn: IngestConnection,
  nas: NasHeartbeatRow,
  before: Date,
  pageSize: number,
  lease: JobLease,
  seen: (page: Listed[]) => void,
): Promise<void> {
  for (let after = 0n; ; ) {
    lease.check();
    const page = await conn.quietSessionsOfNas(nas.id, before, after, pageSize);
    if (page.length === 0) return;
    seen(page.map(({ session, username }) => ({ id: session.id!, username, login: session.login, lastUpdate: session.lastUpdate })));
    after = page[page.length - 1]!.session.id!;
  }
}

/**
 * Closes the NAS's open sessions last updated before `before` (docs/accounting.md §10, in radtrack_close_stale), a page at a time: each page
 * one transaction under the NAS's ingest locks and one statement (IngestConnection.closeStaleOfNas), so a session
 * the listener updated meanwhile is seen after that update. Returns how many it closed; `list` gets the first
 * `wanted()` of each page.
 */
async function closeStale(
  conn: IngestConnection,
  nasId: bigint,
  before: Date,
  pageSize: number,
  lease: JobLease,
  wanted: () => number,
  list: (page: Listed[]) => void,
): Promise<number> {
  let closed = 0;
  for (let after = 0n; ; ) {
    lease.check();
    const page = await closePage(conn, nasId, before, after, pageSize, Math.max(0, wanted()));
    if (page.closed === 0) return closed;
    closed += page.closed;
    list(page.listed);
    after = page.lastId;
  }
}

async function closePage(conn: IngestConnection, nasId: bigint, before: Date, after: bigint, pageSize: number, listed: number): Promise<StaleClosed> {
  for (let attempt = 0; ; attempt++) {
    await conn.begin();
    try {
      await conn.lockNas(nasId);
      const page = await conn.closeStaleOfNas(nasId, before, after, pageSize, listed);
      await conn.commit();
      return page;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      if (attempt > 0 || (err as { code?: string }).code !== NO_PARTITION) throw err;
      // Sessions quiet since a month that has no partition yet (the listener makes them a month ahead of now
      // only): make the months of this page's logouts, once.
      const range = await conn.staleLogoutRange(nasId, before, after, pageSize);
      if (!range) throw err;
      await conn.ensurePartitions(range.from, range.to);
    }
  }
}
