// One batch → one transaction on the lane's connection:
//   resolve ids (accounts, ports: from memory, or one statement before the transaction)
//   BEGIN; lock the batch's buckets and read the sessions it can touch     radtrack_lock_and_load
//   apply the accounting rules in arrival order, in memory                 batch-state.ts
//   write every changed session, the journal, usage deltas and rollups     radtrack_write_batch
//   COMMIT
// Nothing is acknowledged before the promise resolves, i.e. after COMMIT.
import type { NasRestartEvent, SessionEvent } from '../accounting/event.ts';
import { touchableLogouts } from '../accounting/plausibility.ts';
import { effectiveRestartTime } from '../accounting/session-machine.ts';
import type { SessionState } from '../accounting/session.ts';
import type { BatchWrite, IngestConnection, JournalRow } from '../db/sql/ingest.ts';
import { BatchState, type ItemOutcome } from './batch-state.ts';
import { ingestLockKey, nasLockKeys, sortKeys } from '../db/sql/ingest-locks.ts';
import type { BatchIds, IdCaches } from './id-caches.ts';
import type { IngestItem, IngestOutcome } from './item.ts';

/** Open sessions a restart closes per write, so memory stays bounded however many a NAS had. */
const RESTART_PAGE = 2000;
const MONTH_MS = 31 * 86_400_000;

// SQLSTATEs the batch repairs and retries once: a row outside every partition (check_violation from the
// default partition, or no partition at all), and an account deleted while its id was cached.
const NO_PARTITION = '23514';
const FOREIGN_KEY = '23503';

type SessionItem = IngestItem & { event: SessionEvent };

const isSessionItem = (i: IngestItem): i is SessionItem =>
  i.event.kind === 'start' || i.event.kind === 'interim' || i.event.kind === 'stop';

export async function commitBatch(conn: IngestConnection, ids: IdCaches, items: IngestItem[]): Promise<IngestOutcome[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await commitOnce(conn, ids, items);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt > 0 || (code !== NO_PARTITION && code !== FOREIGN_KEY)) throw err;
      if (code === FOREIGN_KEY) ids.forgetAccounts();
      else await conn.ensurePartitions(new Date(Math.min(...items.map((i) => i.event.time.getTime())) - MONTH_MS), new Date(Date.now() + MONTH_MS));
    }
  }
}

async function commitOnce(conn: IngestConnection, ids: IdCaches, items: IngestItem[]): Promise<IngestOutcome[]> {
  const sessionItems = items.filter(isSessionItem);
  const restartItem = items.length === 1 && isRestart(items[0]!) ? items[0] : null;
  // Everything up to the sessions read goes out at once: node-postgres sends each query as soon as the one before
  // it is answered, without waiting for this code, so a batch costs two turns of the event loop, not six.
  ids.topUp(conn);
  const resolving = ids.resolve(
    conn,
    sessionItems.map((i) => i.event.username),
    sessionItems.filter((i) => i.event.portKey !== null).map((i) => ({ nasId: i.nas.id, portKey: i.event.portKey! })),
  );
  const beginning = conn.begin();
  const loading = restartItem ? conn.lockAndLoad(nasLockKeys(restartItem.nas.id), [], [], restartItem.event.time, restartItem.event.time) : load(conn, sessionItems);
  try {
    const [batchIds, , loaded] = await Promise.all([resolving, beginning, loading]);
    const pending = restartItem ? await restart(conn, restartItem as RestartItem) : apply(batchIds, items, sessionItems, loaded);
    await assignIds(conn, ids, pending.state);
    // The write, then COMMIT, queued together (if the write fails, COMMIT only ends the failed transaction).
    await Promise.all([conn.write(writeOf(pending)), conn.commit()]);
    return pending.outcomes.map((o) => ({ action: o.action, sessionId: o.session?.id ?? null }));
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
}

/**
 * §6 needs the other open sessions of a port only where a packet can open a session (a Start, or an Interim
 * for a session not seen yet) and the NAS's policy does anything about it: not for `ignore` (many Wi-Fi
 * controllers put every client on port 0, and reading them all for each packet is what costs).
 */
function mayOpenOnPort(item: SessionItem): boolean {
  return item.nas.portPolicy !== 'ignore' && item.event.kind !== 'stop';
}

function isRestart(item: IngestItem): item is IngestItem & { event: NasRestartEvent } {
  return item.event.kind === 'accounting-on' || item.event.kind === 'accounting-off';
}

type RestartItem = IngestItem & { event: NasRestartEvent };

/** Locks the batch's buckets and reads the sessions its packets can touch. */
function load(conn: IngestConnection, sessionItems: SessionItem[]): Promise<SessionState[]> {
  if (sessionItems.length === 0) return Promise.resolve([]);
  // Closed sessions outside the NASes' clock limits never change again (docs/accounting.md "Plausibility").
  const windows = sessionItems.map((i) => touchableLogouts(i.event.arrival, i.nas.clockLimit));
  const rivals = new Map<string, { nasId: bigint; portKey: string }>();
  for (const i of sessionItems) {
    if (mayOpenOnPort(i) && i.event.portKey !== null) rivals.set(`${i.nas.id}|${i.event.portKey}`, { nasId: i.nas.id, portKey: i.event.portKey });
  }
  return conn.lockAndLoad(
    sortKeys(sessionItems.map((i) => ingestLockKey(i.nas.id, i.bucket!))),
    sessionItems.map((i) => ({ nasId: i.nas.id, acctSessionId: i.event.acctSessionId })),
    [...rivals.values()],
    new Date(Math.min(...windows.map((w) => w.since))),
    new Date(Math.max(...windows.map((w) => w.until))),
  );
}

/** What a batch changed: the sessions in `state`, and for each of its items what it did. */
interface Applied {
  state: BatchState;
  items: IngestItem[];
  outcomes: ItemOutcome[];
}

function apply(ids: BatchIds, items: IngestItem[], sessionItems: SessionItem[], loaded: SessionState[]): Applied {
  const state = new BatchState(loaded);
  const placed = new Map(sessionItems.map((i) => [i as IngestItem, { accountId: ids.accountId(i.event.username), portId: ids.portId(i.nas.id, i.event.portKey) }]));
  const outcomes: ItemOutcome[] = items.map((item) => {
    const p = placed.get(item);
    if (p) return state.applySession((item as SessionItem).event, item.nas, p.accountId, p.portId);
    return { action: item.statusServer ? 'heartbeat' : 'journal_only', session: null };
  });
  return { state, items, outcomes };
}

/** Accounting-On/Off, always a batch of its own: closes the NAS's open sessions page by page (§4). */
async function restart(conn: IngestConnection, item: RestartItem): Promise<Applied> {
  const at = effectiveRestartTime(item.event, await conn.lastRestart(item.nas.id));
  for (let after = 0n; ; ) {
    const page = await conn.openSessionsOfNas(item.nas.id, at, after, RESTART_PAGE);
    if (page.length === 0) break;
    const state = new BatchState(page);
    state.applyRestart(page, item.event, at);
    await conn.write(writeOf({ state, items: [], outcomes: [] }));
    after = page[page.length - 1]!.id!;
  }
  await conn.recordRestart(item.nas.id, at);
  return { state: new BatchState([]), items: [item], outcomes: [{ action: 'nas_restart', session: null }] };
}

/** New sessions get their ids (from memory; the pool is topped up ahead) before anything is written. */
async function assignIds(conn: IngestConnection, ids: IdCaches, state: BatchState): Promise<void> {
  const created = [...state.dirty].filter((s) => s.id === null);
  if (created.length === 0) return;
  const newIds = await ids.takeSessionIds(conn, created.length);
  created.forEach((s, i) => (s.id = newIds[i]!));
}

/** Everything the batch changed, as radtrack_write_batch takes it. */
function writeOf({ state, items, outcomes }: Applied): BatchWrite {
  const w: BatchWrite = { openLeaving: [], closedLeaving: [], updated: [], inserted: [], journal: [], usage: [] };
  for (const s of state.dirty) placeSession(w, s, state.storedLogout.get(s));
  w.journal = items.map((item, i): JournalRow => ({
    arrival: item.event.arrival,
    nasId: item.nas.id,
    sessionId: outcomes[i]!.session?.id ?? null,
    action: [outcomes[i]!.action, ...item.event.flags].join(' '),
    raw: item.raw,
  }));
  w.usage = state.usage.map((u) => ({
    accountId: u.session.accountId,
    sessionId: u.session.id!,
    t0: u.t0,
    t1: u.t1,
    seconds: u.seconds,
    inputOctets: u.inputOctets,
    outputOctets: u.outputOctets,
  }));
  return w;
}

/** A changed session is updated where it is (open, stays open), or leaves its partition for its new one. */
function placeSession(w: BatchWrite, s: SessionState, stored: Date | null | undefined): void {
  if (stored === undefined) w.inserted.push(s);
  else if (stored === null && s.logout === null) w.updated.push(s);
  else {
    if (stored === null) w.openLeaving.push(s.id!);
    else w.closedLeaving.push({ id: s.id!, logout: stored });
    w.inserted.push(s);
  }
}
