// `radtrack import radacct --from URL` (docs/cli.md "import radacct"): a FreeRADIUS radacct table, in another
// PostgreSQL database, becomes radtrack's NASes, accounts, sessions (open and closed) and usage.
//
// * Pages of the source by radacctid; each page is one short transaction on the target that takes the ingest
//   locks of its NASes (so a running listener never interleaves with it), writes the page and moves the
//   watermark. An interrupted run resumes after the last committed page.
// * Idempotent: every imported row is recorded by (source, radacctid) in radacct_imported and never imported
//   again, also after purge. A run that finished starts the next one from the beginning, which only picks up
//   rows added since.
// * A radacct row has no interim history, so its usage is one segment over the session, [login, logout) or
//   [login, last update) while open, its octets spread evenly (docs/accounting.md §9), cut into pieces of at
//   most a day so they land in the hourly rollups. The sessions are flagged `imported`.
// * NASes: a registered NAS gets its sessions. An unregistered one is registered without a secret when
//   `registerNas` is set; otherwise its rows are skipped and it is listed among the unknown sources.
import type { Knex } from 'knex';
import type { SessionFlag, SessionState } from '../accounting/session.ts';
import { splitSegment, usageSegments } from '../accounting/usage-delta.ts';
import { lockNasIngest } from '../db/sql/ingest-locks.ts';
import { ensurePartitions } from '../db/sql/partitions.ts';
import {
  allocateImportSessionIds,
  ensureImportAccounts,
  ensureImportPorts,
  importedRadacctIds,
  importProgress,
  insertImportedSessions,
  missingRadacctColumns,
  nasIdsByAddress,
  readRadacctPage,
  recordImportedRows,
  registerNasWithoutSecret,
  rememberUnknownNas,
  saveImportWatermark,
  startImportRun,
  type RadacctRow,
} from '../db/sql/radacct.ts';
import { addUsage, type UsageDelta } from '../db/sql/usage.ts';

export const DEFAULT_IMPORT_PAGE = 1000;
const DAY_MS = 86_400_000;
/** As docs/accounting.md "Plausibility": larger values are not believed. */
const MAX_SESSION_TIME = 366n * 86_400n;
const MAX_OCTETS = 2n ** 62n;
const EARLIEST = Date.UTC(1990, 0, 1);

export interface ImportOptions {
  /** The source as recorded (host, port, database; never a password). */
  source: string;
  registerNas: boolean;
  dryRun: boolean;
  pageSize?: number;
  /** After each committed (or, in a dry run, rolled back) page, with the running summary. */
  onPage?: (summary: ImportSummary) => void;
}

export interface ImportSummary {
  source: string;
  dry_run: boolean;
  /** The radacctid a resumed run started after; null when it started from the beginning. */
  resumed_after: bigint | null;
  rows_read: number;
  imported: number;
  imported_open: number;
  imported_closed: number;
  already_imported: number;
  skipped_unregistered_nas: number;
  skipped_bad_times: number;
  accounts_created: number;
  nas_registered: string[];
  nas_unknown: string[];
  last_radacctid: bigint | null;
  seconds: number;
  rows_per_second: number;
}

/** The source database as the import records and prints it: scheme, host, port, database; no user, no password. */
export function sourceKey(url: string): string {
  const u = new URL(url);
  return `postgres://${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
}

/** What a radacct row becomes: a session without ids yet, or why it cannot be one. */
export type Converted = { ok: true; session: Omit<SessionState, 'id' | 'nasId' | 'accountId' | 'portId'>; username: string; portKey: string | null } | { ok: false };

const ms = (d: Date) => d.getTime();
const blankToNull = (v: string | null) => (v === null || v === '' ? null : v);

function counter(v: bigint | null, flags: SessionFlag[]): bigint {
  if (v === null) return 0n;
  if (v < 0n || v >= MAX_OCTETS) {
    if (!flags.includes('implausible_counter')) flags.push('implausible_counter');
    return 0n;
  }
  return v;
}

/** One radacct row as a radtrack session (docs/cli.md "import radacct" says how each column is read). */
export function convertRadacctRow(r: RadacctRow): Converted {
  const stop = r.acctstoptime;
  const update = r.acctupdatetime;
  const time = r.acctsessiontime !== null && r.acctsessiontime >= 0n && r.acctsessiontime <= MAX_SESSION_TIME ? r.acctsessiontime : null;
  const end = stop ?? update;
  const login = r.acctstarttime ?? (end && time !== null ? new Date(ms(end) - Number(time) * 1000) : null);
  if (login === null) return { ok: false };
  // A NAS without a clock (1970) or one far ahead: believed, one row would make decades of monthly partitions.
  if (ms(login) < EARLIEST || [login, stop, update].some((d) => d !== null && ms(d) > Date.now() + DAY_MS)) return { ok: false };
  const logout = stop === null ? null : new Date(Math.max(ms(stop), ms(login)));
  const lastUpdate = new Date(Math.max(ms(login), update ? ms(update) : 0, logout ? ms(logout) : 0));
  const flags: SessionFlag[] = ['imported'];
  const session = {
    acctSessionId: r.acctsessionid,
    login,
    logout,
    lastUpdate,
    sessionTime: time ?? BigInt(Math.round((ms(logout ?? lastUpdate) - ms(login)) / 1000)),
    inputOctets: counter(r.acctinputoctets, flags),
    outputOctets: counter(r.acctoutputoctets, flags),
    inputPackets: 0n,
    outputPackets: 0n,
    framedIp: r.framedipaddress,
    callingStationId: blankToNull(r.callingstationid),
    calledStationId: blankToNull(r.calledstationid),
    terminateCause: logout === null ? null : blankToNull(r.acctterminatecause),
    closeReason: logout === null ? null : ('stop' as const),
    logoutEstimated: false,
    flags,
    interimCount: 0,
    // Never the port's exclusive open session: radacct often holds several open sessions on one port (stale ones
    // FreeRADIUS never closed). The listener's next session on the port resolves them by the port policy (§6).
    exclusivePort: false,
  };
  return { ok: true, session, username: r.username ?? '', portKey: blankToNull(r.nasportid) };
}

/** The usage of an imported session: one segment over what it covers, cut into pieces of at most a day. */
export function importedUsage(s: SessionState): UsageDelta[] {
  return usageSegments(null, s)
    .flatMap((seg) => splitSegment(seg, DAY_MS))
    .map((p) => ({ accountId: s.accountId, sessionId: s.id!, t0: p.t0, t1: p.t1, seconds: p.seconds, inputOctets: p.inputOctets, outputOctets: p.outputOctets }));
}

const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));

class DryRunRollback extends Error {}

export async function importRadacct(target: Knex, source: Knex, opts: ImportOptions): Promise<ImportSummary> {
  const missing = await missingRadacctColumns(source);
  if (missing.length > 0) throw new ImportSourceError(`the source has no FreeRADIUS radacct table (missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
  const started = Date.now();
  const pageSize = opts.pageSize ?? DEFAULT_IMPORT_PAGE;
  const progress = await importProgress(target, opts.source);
  const resumeAfter = progress && !progress.finished && progress.last_radacctid > 0n ? progress.last_radacctid : null;
  const summary: ImportSummary = {
    source: opts.source, dry_run: opts.dryRun, resumed_after: resumeAfter, rows_read: 0, imported: 0, imported_open: 0,
    imported_closed: 0, already_imported: 0, skipped_unregistered_nas: 0, skipped_bad_times: 0, accounts_created: 0,
    nas_registered: [], nas_unknown: [], last_radacctid: null, seconds: 0, rows_per_second: 0,
  };
  const registered = new Set<string>();
  const unknown = new Set<string>();
  const accountsCreated = new Set<string>();
  if (!opts.dryRun) await startImportRun(target, opts.source, resumeAfter ?? 0n);

  let after = resumeAfter ?? 0n;
  for (;;) {
    const page = await readRadacctPage(source, after, pageSize);
    if (page.length === 0) break;
    const last = page[page.length - 1]!.radacctid;
    const months = new Set<number>();
    for (const r of page) {
      const c = convertRadacctRow(r);
      if (c.ok && c.session.logout) months.add(ms(monthStart(c.session.logout)));
    }
    // Partitions for the page's months, one month at a time (a stray 1970 logout makes one month, not 56 years).
    if (!opts.dryRun) for (const m of months) await ensurePartitions(target, new Date(m), new Date(m));
    const counts = await target
      .transaction(async (trx) => {
        if (opts.dryRun) for (const m of months) await ensurePartitions(trx, new Date(m), new Date(m));
        const n = await importPage(trx, page, opts, { registered, unknown, accountsCreated });
        if (opts.dryRun) throw new DryRunRollback(JSON.stringify(n));
        await saveImportWatermark(trx, opts.source, last, false);
        return n;
      })
      .catch((err: unknown) => {
        if (err instanceof DryRunRollback) return JSON.parse(err.message) as PageCounts;
        throw err;
      });
    summary.rows_read += page.length;
    summary.imported += counts.open + counts.closed;
    summary.imported_open += counts.open;
    summary.imported_closed += counts.closed;
    summary.already_imported += counts.already;
    summary.skipped_unregistered_nas += counts.unregistered;
    summary.skipped_bad_times += counts.badTimes;
    summary.accounts_created = accountsCreated.size;
    summary.nas_registered = [...registered].sort();
    summary.nas_unknown = [...unknown].sort();
    summary.last_radacctid = last;
    after = last;
    opts.onPage?.(finish(summary, started));
    if (page.length < pageSize) break;
  }
  if (!opts.dryRun) await saveImportWatermark(target, opts.source, after, true);
  return finish(summary, started);
}

function finish(s: ImportSummary, started: number): ImportSummary {
  s.seconds = Math.round((Date.now() - started) / 100) / 10;
  s.rows_per_second = s.seconds > 0 ? Math.round(s.rows_read / s.seconds) : s.rows_read;
  return { ...s };
}

/** A source that cannot be imported (not a radacct table); the CLI says so in one line. */
export class ImportSourceError extends Error {}

interface PageCounts {
  open: number;
  closed: number;
  already: number;
  unregistered: number;
  badTimes: number;
}

interface RunSets {
  registered: Set<string>;
  unknown: Set<string>;
  accountsCreated: Set<string>;
}

async function importPage(trx: Knex.Transaction, page: RadacctRow[], opts: ImportOptions, sets: RunSets): Promise<PageCounts> {
  const counts: PageCounts = { open: 0, closed: 0, already: 0, unregistered: 0, badTimes: 0 };
  const done = await importedRadacctIds(trx, opts.source, page.map((r) => r.radacctid));
  const todo: { row: RadacctRow; c: Extract<Converted, { ok: true }> }[] = [];
  for (const row of page) {
    if (done.has(row.radacctid)) {
      counts.already++;
      continue;
    }
    const c = convertRadacctRow(row);
    if (!c.ok) counts.badTimes++;
    else todo.push({ row, c });
  }
  if (todo.length === 0) return counts;

  const addresses = [...new Set(todo.map((t) => t.row.nasipaddress))];
  const nasIds = await nasIdsByAddress(trx, addresses);
  const absent = addresses.filter((a) => !nasIds.has(a));
  if (opts.registerNas) {
    for (const [address, id] of await registerNasWithoutSecret(trx, absent, 'imported from radacct')) {
      nasIds.set(address, id);
      sets.registered.add(address);
    }
  } else if (absent.length > 0) {
    const spans = new Map<string, { address: string; firstSeen: Date; lastSeen: Date }>();
    for (const { row, c } of todo) {
      if (nasIds.has(row.nasipaddress)) continue;
      const s = spans.get(row.nasipaddress);
      const [first, lastSeen] = [c.session.login, c.session.logout ?? c.session.lastUpdate];
      if (!s) spans.set(row.nasipaddress, { address: row.nasipaddress, firstSeen: first, lastSeen });
      else {
        if (first < s.firstSeen) s.firstSeen = first;
        if (lastSeen > s.lastSeen) s.lastSeen = lastSeen;
      }
    }
    await rememberUnknownNas(trx, [...spans.values()]);
    for (const a of spans.keys()) sets.unknown.add(a);
  }
  const rows = todo.filter((t) => {
    if (nasIds.has(t.row.nasipaddress)) return true;
    counts.unregistered++;
    return false;
  });
  if (rows.length === 0) return counts;

  // The ingest locks of the page's NASes, in ascending order as every writer takes them (docs/architecture.md "Locks").
  for (const id of [...new Set(rows.map((t) => nasIds.get(t.row.nasipaddress)!))].sort((a, b) => (a < b ? -1 : 1))) await lockNasIngest(trx, id);
  const accounts = await ensureImportAccounts(trx, [...new Set(rows.map((t) => t.c.username))]);
  for (const u of accounts.created) sets.accountsCreated.add(u);
  const ports = await ensureImportPorts(trx, rows.flatMap((t) => (t.c.portKey === null ? [] : [{ nasId: nasIds.get(t.row.nasipaddress)!, portKey: t.c.portKey }])));
  const ids = await allocateImportSessionIds(trx, rows.length);
  const sessions: SessionState[] = rows.map((t, i) => {
    const nasId = nasIds.get(t.row.nasipaddress)!;
    return {
      ...t.c.session,
      flags: [...t.c.session.flags],
      id: ids[i]!,
      nasId,
      accountId: accounts.ids.get(t.c.username)!,
      portId: t.c.portKey === null ? null : ports.get(`${nasId}/${t.c.portKey}`)!,
    };
  });
  await insertImportedSessions(trx, sessions);
  await recordImportedRows(trx, opts.source, rows.map((t, i) => ({ row: t.row, sessionId: ids[i]! })));
  await addUsage(trx, sessions.flatMap(importedUsage));
  for (const s of sessions) {
    if (s.logout === null) counts.open++;
    else counts.closed++;
  }
  return counts;
}

