// One batch of accepted packets → one transaction (group commit). Events are applied in arrival order to
// in-memory copies of the sessions they touch (locked FOR UPDATE), then written back in a handful of
// statements. Nothing here is acknowledged until the caller sees the promise resolve, i.e. after COMMIT.
import type { Knex } from 'knex';
import type { AccountingEvent, NasRestartEvent, SessionEvent } from '../accounting/event.ts';
import type { SessionState } from '../accounting/session.ts';
import {
  applySessionEvent,
  closeForNasRestart,
  resolvePortConflict,
  type PortPolicy,
} from '../accounting/session-machine.ts';
import { usageSegments, usageSnapshot } from '../accounting/usage-delta.ts';
import { sessionFromRow } from '../db/rows.ts';
import { ensureAccounts, ensurePorts, lockBatchSessions, portRef } from '../db/sql/batch-lookups.ts';
import { closeNasSessions } from '../db/sql/close-nas-sessions.ts';
import { writeJournal, type JournalEntry } from '../db/sql/write-journal.ts';
import { writeNasHeartbeats, type NasHeartbeat } from '../db/sql/nas-heartbeat.ts';
import { allocateSessionIds, writeSessions } from '../db/sql/write-sessions.ts';
import { writeUsage, type UsageDelta } from '../db/sql/write-usage.ts';

export interface IngestNas {
  id: bigint;
  address: string;
  portPolicy: PortPolicy;
}

export interface IngestItem {
  nas: IngestNas;
  code: 'Accounting-Request' | 'Status-Server';
  /** Acct-Status-Type by name, null for Status-Server. */
  statusType: string | null;
  event: AccountingEvent;
  acctSessionId: string | null;
  username: string | null;
  /** Decoded attributes for the journal. */
  attributes: Record<string, unknown>;
  clockSkewSeconds: number | null;
}

export interface IngestOutcome {
  action: string;
  sessionId: bigint | null;
}

const identityKey = (nasId: bigint, acctSessionId: string, portId: bigint | null, accountId: bigint) =>
  `${nasId}|${portId ?? ''}|${accountId}|${acctSessionId}`;

/** The in-memory state of one batch. */
class BatchState {
  readonly latest = new Map<string, SessionState>();
  readonly openByPort = new Map<bigint, Set<SessionState>>();
  readonly dirty = new Set<SessionState>();
  readonly segments: { session: SessionState; t0: Date; t1: Date; seconds: number; inputOctets: bigint; outputOctets: bigint }[] = [];
  /** Accounting-On/Off closes done in SQL; their usage rows name sessions by id. */
  readonly restartDeltas: UsageDelta[] = [];

  constructor(loaded: SessionState[]) {
    for (const s of loaded) {
      this.track(s);
      const key = identityKey(s.nasId, s.acctSessionId, s.portId, s.accountId);
      const prev = this.latest.get(key);
      if (!prev || s.login.getTime() > prev.login.getTime() || (s.login.getTime() === prev.login.getTime() && s.id! > prev.id!)) {
        this.latest.set(key, s);
      }
    }
  }

  track(s: SessionState): void {
    if (s.portId === null) return;
    let set = this.openByPort.get(s.portId);
    if (!set) this.openByPort.set(s.portId, (set = new Set()));
    if (s.logout === null) set.add(s);
    else set.delete(s);
  }

  /** Runs `change` on the sessions and records what it did to their usage. */
  change(sessions: SessionState[], change: () => SessionState[]): SessionState[] {
    const before = new Map(sessions.map((s) => [s, usageSnapshot(s)]));
    const changed = change();
    for (const s of changed) {
      for (const seg of usageSegments(before.get(s) ?? null, s)) this.segments.push({ session: s, ...seg });
      this.dirty.add(s);
      this.track(s);
    }
    return changed;
  }
}

export async function applyBatch(knex: Knex, items: IngestItem[]): Promise<IngestOutcome[]> {
  return knex.transaction((trx) => applyBatchIn(trx, items));
}

async function applyBatchIn(trx: Knex.Transaction, items: IngestItem[]): Promise<IngestOutcome[]> {
  const sessionEvents = items.filter((i): i is IngestItem & { event: SessionEvent } =>
    i.event.kind === 'start' || i.event.kind === 'interim' || i.event.kind === 'stop');
  const accounts = await ensureAccounts(trx, sessionEvents.map((i) => i.event.username));
  const ports = await ensurePorts(
    trx,
    sessionEvents.filter((i) => i.event.portKey !== null).map((i) => ({ nasId: i.nas.id, portKey: i.event.portKey! })),
  );
  const loaded = await lockBatchSessions(
    trx,
    sessionEvents.map((i) => ({ nasId: i.nas.id, acctSessionId: i.event.acctSessionId })),
    [...new Set(ports.values())],
  );
  const state = new BatchState(loaded.map(sessionFromRow));

  const results: { action: string; session: SessionState | null }[] = [];
  const restarts = new Map<bigint, Date>();
  for (const item of items) {
    const ev = item.event;
    if (ev.kind === 'start' || ev.kind === 'interim' || ev.kind === 'stop') {
      results.push(applyOne(state, item.nas, ev, accounts, ports));
    } else if (ev.kind === 'accounting-on' || ev.kind === 'accounting-off') {
      await applyRestart(trx, state, item.nas, ev);
      const prev = restarts.get(item.nas.id);
      if (!prev || prev < ev.time) restarts.set(item.nas.id, ev.time);
      results.push({ action: 'nas_restart', session: null });
    } else {
      results.push({ action: item.code === 'Status-Server' ? 'heartbeat' : 'journal_only', session: null });
    }
  }

  const created = [...state.dirty].filter((s) => s.id === null);
  const updated = [...state.dirty].filter((s) => s.id !== null);
  const ids = await allocateSessionIds(trx, created.length);
  created.forEach((s, i) => (s.id = ids[i]));
  await writeSessions(trx, updated, created);
  await writeUsage(trx, [
    ...state.restartDeltas,
    ...state.segments.map((g) => ({
      accountId: g.session.accountId,
      sessionId: g.session.id!,
      t0: g.t0,
      t1: g.t1,
      seconds: g.seconds,
      inputOctets: g.inputOctets,
      outputOctets: g.outputOctets,
    })),
  ]);
  await writeJournal(trx, items.map((item, i): JournalEntry => ({
    arrival: item.event.arrival,
    nasId: item.nas.id,
    nasAddress: item.nas.address,
    code: item.code,
    statusType: item.statusType,
    acctSessionId: item.acctSessionId,
    username: item.username,
    sessionId: results[i].session?.id ?? null,
    eventTime: item.event.time,
    action: [results[i].action, ...item.event.flags].join(' '),
    attributes: item.attributes,
  })));
  await writeNasHeartbeats(trx, heartbeats(items, restarts));
  return results.map((r) => ({ action: r.action, sessionId: r.session?.id ?? null }));
}

function applyOne(
  state: BatchState,
  nas: IngestNas,
  ev: SessionEvent,
  accounts: Map<string, bigint>,
  ports: Map<string, bigint>,
): { action: string; session: SessionState } {
  const accountId = accounts.get(ev.username)!;
  const portId = ev.portKey === null ? null : ports.get(portRef(nas.id, ev.portKey))!;
  const key = identityKey(nas.id, ev.acctSessionId, portId, accountId);
  const current = state.latest.get(key) ?? null;
  let transition!: ReturnType<typeof applySessionEvent>;
  state.change(current ? [current] : [], () => {
    transition = applySessionEvent(current, ev, {
      nasId: nas.id,
      portId,
      accountId,
      exclusivePort: nas.portPolicy === 'autoclose' && portId !== null,
    });
    return transition.action.startsWith('duplicate') ? [] : [transition.session];
  });
  const session = transition.session;
  if (transition.created) {
    state.latest.set(key, session);
    if (session.logout === null && portId !== null) {
      const rivals = [...(state.openByPort.get(portId) ?? [])].filter((o) => o !== session);
      state.change([session, ...rivals], () => resolvePortConflict(session, rivals, nas.portPolicy));
    }
  }
  return { action: transition.action, session };
}

async function applyRestart(trx: Knex.Transaction, state: BatchState, nas: IngestNas, ev: NasRestartEvent): Promise<void> {
  const inMemory = [...state.latest.values(), ...[...state.openByPort.values()].flatMap((set) => [...set])]
    .filter((s) => s.nasId === nas.id);
  const unique = [...new Set(inMemory)];
  state.change(unique, () => unique.filter((s) => closeForNasRestart(s, ev)));
  const closed = await closeNasSessions(
    trx,
    nas.id,
    ev.time,
    ev.terminateCause ?? 'NAS-Reboot',
    unique.filter((s) => s.id !== null).map((s) => s.id!),
  );
  for (const row of closed) {
    const end = ev.time.getTime();
    const last = row.last_update.getTime();
    if (end === last) continue;
    state.restartDeltas.push({
      accountId: row.account_id,
      sessionId: row.id,
      t0: end > last ? row.last_update : ev.time,
      t1: end > last ? ev.time : row.last_update,
      seconds: (end - last) / 1000,
      inputOctets: 0n,
      outputOctets: 0n,
    });
  }
}

function heartbeats(items: IngestItem[], restarts: Map<bigint, Date>): NasHeartbeat[] {
  const byNas = new Map<bigint, NasHeartbeat>();
  for (const item of items) {
    let beat = byNas.get(item.nas.id);
    if (!beat) {
      beat = { nasId: item.nas.id, accepted: 0, lastSeen: item.event.arrival, clockSkewSeconds: null, lastRestart: restarts.get(item.nas.id) ?? null };
      byNas.set(item.nas.id, beat);
    }
    beat.accepted += 1;
    if (item.event.arrival > beat.lastSeen) beat.lastSeen = item.event.arrival;
    if (item.clockSkewSeconds !== null) beat.clockSkewSeconds = item.clockSkewSeconds;
  }
  return [...byNas.values()];
}
