// The accounting rules (docs/accounting.md §3, §4, §6) as one table of cases: the packets a NAS sends, and the
// sessions, flags and usage they must leave. The table is replayed twice, with the same expectations:
//   test/unit/accounting/rule-cases.test.ts  in memory, through the pure rules (session-machine.ts, batch-state.ts)
//   test/db/rule-cases.test.ts               through the real batch transaction (commit-batch.ts) on a database
// A packet is built as a signed datagram and decoded the way the listener decodes it (toItem), so plausibility
// (§3) and 32-bit counters (Acct-*-Octets without Gigawords) are part of every case.
//
// Times are seconds after T0 (test/helpers/fixtures.ts). A packet's `at` is its arrival; its event time is the
// arrival minus Acct-Delay-Time, or its Event-Timestamp (eventTimestampAt).
import type { ClockLimit } from '../../src/accounting/plausibility.ts';
import type { PortPolicy } from '../../src/accounting/port-policy.ts';
import type { CloseReason, SessionFlag, SessionState } from '../../src/accounting/session.ts';
import { toAccountingEvent } from '../../src/accounting/to-event.ts';
import { sessionBucket } from '../../src/db/sql/ingest-locks.ts';
import type { ItemAction } from '../../src/ingest/batch-state.ts';
import type { IngestItem, IngestNas } from '../../src/ingest/item.ts';
import { readAccountingAttributes } from '../../src/protocol/attributes.ts';
import { decodePacket } from '../../src/protocol/decode.ts';
import { at, eventTimestampAt, SECRET, sinceT0 } from './fixtures.ts';
import { accountingRequest, type AcctRequestSpec } from './packets.ts';

export interface CasePacket {
  /** Arrival, in seconds after T0. */
  at: number;
  spec: AcctRequestSpec;
}

/** A session as a case expects it: times in seconds after T0, the account and port by name. */
export interface SessionRow {
  sid: string;
  user: string;
  port: string | null;
  login: number;
  logout: number | null;
  lastUpdate: number;
  sessionTime: number;
  input: bigint;
  output: bigint;
  packets: [number, number];
  framedIp: string | null;
  cause: string | null;
  closeReason: CloseReason | null;
  estimated: boolean;
  flags: SessionFlag[];
  interims: number;
  /** The session's usage deltas added up (§9): covered seconds and octets. */
  usage: { seconds: number; input: bigint; output: bigint };
}

export interface RuleCase {
  /** The rule's place in docs/accounting.md. */
  rule: string;
  name: string;
  nas?: { portPolicy?: PortPolicy; clockLimit?: ClockLimit };
  packets: CasePacket[];
  /** What each packet did, as journaled (§8). */
  actions: ItemAction[];
  /** Every session of the NAS, by login (then creation). */
  sessions: SessionRow[];
  /** The NAS's last restart, seconds after T0 (null: none). */
  lastRestart?: number | null;
}

/** What replaying a case gave; compared as a whole with the case's expectation. */
export interface CaseOutcome {
  actions: ItemAction[];
  sessions: SessionRow[];
  lastRestart: number | null;
}

const DEFAULT_CLOCK_LIMIT = 7 * 86_400;

export function caseNas(c: RuleCase, id: bigint): IngestNas {
  return { id, portPolicy: c.nas?.portPolicy ?? 'autoclose', clockLimit: c.nas?.clockLimit === undefined ? DEFAULT_CLOCK_LIMIT : c.nas.clockLimit };
}

/** The packet as the listener hands it to the batch (pipeline.ts): signed, decoded, checked, bucketed. */
export function toItem(p: CasePacket, nas: IngestNas): IngestItem {
  const decoded = decodePacket(accountingRequest(p.spec, SECRET));
  if (!decoded.ok) throw new Error(`rule case: undecodable packet: ${decoded.message}`);
  const converted = toAccountingEvent(readAccountingAttributes(decoded.packet), at(p.at), nas.clockLimit);
  if (!converted.ok) throw new Error(`rule case: packet refused: ${converted.message}`);
  const event = converted.event;
  const bucket = 'acctSessionId' in event ? sessionBucket(event.portKey, event.acctSessionId) : null;
  return { nas, event, raw: decoded.packet.bytes, statusServer: false, bucket };
}

/**
 * A batch in the replays' batched mode holds packets that arrived within this long of its first one. A real batch
 * spans milliseconds; what matters is that it stays well inside the day of margin a batch's clock window has
 * (plausibility.ts touchableLogouts), as it always does in the listener.
 */
const BATCH_SPAN_MS = 3_600_000;

const isRestart = (item: IngestItem) => item.event.kind === 'accounting-on' || item.event.kind === 'accounting-off';

/** Consecutive packets as the listener could batch them: session packets together, each restart alone. */
export function batchesOf(items: IngestItem[]): IngestItem[][] {
  const batches: IngestItem[][] = [];
  for (const item of items) {
    const last = batches[batches.length - 1];
    const fits = last && !isRestart(item) && !isRestart(last[0]!) && item.event.arrival.getTime() - last[0]!.event.arrival.getTime() <= BATCH_SPAN_MS;
    if (fits) last.push(item);
    else batches.push([item]);
  }
  return batches;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** A stored or in-memory session, in the table's terms. */
export function sessionRow(s: SessionState, user: string, port: string | null, usage: SessionRow['usage']): SessionRow {
  return {
    sid: s.acctSessionId,
    user,
    port,
    login: sinceT0(s.login),
    logout: s.logout === null ? null : sinceT0(s.logout),
    lastUpdate: sinceT0(s.lastUpdate),
    sessionTime: Number(s.sessionTime),
    input: s.inputOctets,
    output: s.outputOctets,
    packets: [Number(s.inputPackets), Number(s.outputPackets)],
    framedIp: s.framedIp,
    cause: s.terminateCause,
    closeReason: s.closeReason,
    estimated: s.logoutEstimated,
    flags: [...s.flags].sort(),
    interims: s.interimCount,
    usage: { ...usage, seconds: round3(usage.seconds) },
  };
}

/**
 * An expected session. Defaults: session s1 of alice on port 7, open; with a logout, closed by a Stop; closed by
 * radtrack (nas_restart, superseded, stale) means estimated, session time = logout − login (§4 "Sessions radtrack
 * closes itself") and, for nas_restart, cause NAS-Reboot; last update at the Stop's logout, else at the login;
 * counters 0; usage = the covered time (login to logout, or to the last update) and the octets.
 */
export function row(r: Partial<SessionRow> & { login: number }): SessionRow {
  const logout = r.logout ?? null;
  const closeReason = r.closeReason !== undefined ? r.closeReason : logout === null ? null : 'stop';
  const estimated = r.estimated ?? (closeReason !== null && closeReason !== 'stop');
  const lastUpdate = r.lastUpdate ?? (closeReason === 'stop' ? logout! : r.login);
  const input = r.input ?? 0n;
  const output = r.output ?? 0n;
  return {
    sid: r.sid ?? 's1',
    user: r.user ?? 'alice',
    port: r.port !== undefined ? r.port : '7',
    login: r.login,
    logout,
    lastUpdate,
    sessionTime: r.sessionTime ?? (estimated ? logout! - r.login : 0),
    input,
    output,
    packets: r.packets ?? [0, 0],
    framedIp: r.framedIp ?? null,
    cause: r.cause !== undefined ? r.cause : closeReason === 'nas_restart' ? 'NAS-Reboot' : null,
    closeReason,
    estimated,
    flags: [...(r.flags ?? [])].sort(),
    interims: r.interims ?? 0,
    usage: r.usage ?? { seconds: round3((logout ?? lastUpdate) - r.login), input, output },
  };
}

export function expectedOutcome(c: RuleCase): CaseOutcome {
  return { actions: c.actions, sessions: c.sessions, lastRestart: c.lastRestart ?? null };
}

// Packet builders: session s1 of alice on NAS-Port 7 unless `extra` says otherwise.
const SESSION: AcctRequestSpec = { statusType: 'Start', sessionId: 's1', userName: 'alice', nasPort: 7 };
const start = (t: number, extra: Partial<AcctRequestSpec> = {}): CasePacket => ({ at: t, spec: { ...SESSION, ...extra, statusType: 'Start' } });
const interim = (t: number, extra: Partial<AcctRequestSpec> = {}): CasePacket => ({ at: t, spec: { ...SESSION, ...extra, statusType: 'Interim-Update' } });
const stop = (t: number, extra: Partial<AcctRequestSpec> = {}): CasePacket => ({ at: t, spec: { ...SESSION, ...extra, statusType: 'Stop' } });
const accountingOn = (t: number, extra: Partial<AcctRequestSpec> = {}): CasePacket => ({ at: t, spec: { ...extra, statusType: 'Accounting-On' } });
const accountingOff = (t: number, extra: Partial<AcctRequestSpec> = {}): CasePacket => ({ at: t, spec: { ...extra, statusType: 'Accounting-Off' } });
/** Counters as a NAS reports them: Acct-Session-Time and the octets (sent with Gigawords only above 2^32). */
const c = (sessionTime: number, inputOctets: bigint | number, outputOctets: bigint | number) => ({ sessionTime, inputOctets, outputOctets });

const DAY = 86_400;
const TWO_32 = 2n ** 32n;

export const RULE_CASES: RuleCase[] = [
  // §4 Start
  {
    rule: '§4 Start',
    name: 'a Start with no session creates it open, login = last_update = E',
    packets: [start(0)],
    actions: ['start'],
    sessions: [row({ login: 0 })],
  },
  {
    rule: '§4 Start',
    name: 'Start, then Stop: closed at E of the Stop with its counters and terminate cause',
    packets: [start(0), stop(600, { ...c(600, 1000, 2000), terminateCause: 'User-Request', inputPackets: 10, outputPackets: 20 })],
    actions: ['start', 'stop'],
    sessions: [row({ login: 0, logout: 600, sessionTime: 600, input: 1000n, output: 2000n, packets: [10, 20], cause: 'User-Request' })],
  },
  {
    rule: '§4 Start',
    name: 'a Start carrying counters creates the session with them',
    packets: [start(0, c(0, 10, 20))],
    actions: ['start'],
    sessions: [row({ login: 0, input: 10n, output: 20n })],
  },
  {
    rule: '§4 Start',
    name: 'a Start after an Interim moves login earlier, keeps last_update and counters, missing_start becomes late_start',
    packets: [interim(300, c(290, 1000, 2000)), start(310, { delay: 305 })],
    actions: ['interim_without_start', 'late_start'],
    sessions: [row({ login: 5, lastUpdate: 300, sessionTime: 290, input: 1000n, output: 2000n, flags: ['late_start'], interims: 1 })],
  },
  {
    rule: '§4 Start',
    name: 'a Start later than the login an Interim implied never moves login later',
    packets: [interim(300, c(300, 1, 1)), start(310)],
    actions: ['interim_without_start', 'late_start'],
    sessions: [row({ login: 0, lastUpdate: 300, sessionTime: 300, input: 1n, output: 1n, flags: ['late_start'], interims: 1 })],
  },
  {
    rule: '§4 Start',
    name: 'a retransmitted Start of an open session (higher Acct-Delay-Time) changes nothing',
    packets: [start(0), start(5, { delay: 5 })],
    actions: ['start', 'duplicate_start'],
    sessions: [row({ login: 0 })],
  },
  {
    rule: '§4 Start',
    name: 'a Start for a closed session with E before its logout is a late copy: nothing changes',
    packets: [start(0), stop(600, c(600, 5, 6)), start(700, { delay: 700 })],
    actions: ['start', 'stop', 'duplicate_start'],
    sessions: [row({ login: 0, logout: 600, sessionTime: 600, input: 5n, output: 6n })],
  },
  // §4 Reuse of an Acct-Session-Id
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'a Start after the logout and more than 30 s after the login is a new session with the same id',
    packets: [start(0), stop(600, c(600, 5, 6)), start(601)],
    actions: ['start', 'stop', 'start'],
    sessions: [row({ login: 0, logout: 600, sessionTime: 600, input: 5n, output: 6n }), row({ login: 601 })],
  },
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'after a reboot the NAS starts its ids again: a Start with the id of a session the restart closed is a new session',
    packets: [start(0), accountingOn(500), start(600)],
    actions: ['start', 'nas_restart', 'start'],
    sessions: [row({ login: 0, logout: 500, closeReason: 'nas_restart' }), row({ login: 600 })],
    lastRestart: 500,
  },
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'a Start jittered by a retransmission (within 30 s of the login) after a short session is not a new session',
    packets: [start(0), stop(10, c(10, 1, 1)), start(20)],
    actions: ['start', 'stop', 'duplicate_start'],
    sessions: [row({ login: 0, logout: 10, sessionTime: 10, input: 1n, output: 1n })],
  },
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'an Interim whose login (E − Acct-Session-Time) is more than 30 s after the logout is a new session',
    packets: [start(0), stop(100, c(100, 9, 9)), interim(1000, c(500, 1, 1))],
    actions: ['start', 'stop', 'interim_without_start'],
    sessions: [
      row({ login: 0, logout: 100, sessionTime: 100, input: 9n, output: 9n }),
      row({ login: 500, lastUpdate: 1000, sessionTime: 500, input: 1n, output: 1n, flags: ['missing_start'], interims: 1 }),
    ],
  },
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'an Interim whose login is just after the logout is a new session when its counters are below the closed one\'s',
    packets: [start(0), stop(100, c(100, 10_000, 10_000)), interim(130, c(10, 100, 100))],
    actions: ['start', 'stop', 'interim_without_start'],
    sessions: [
      row({ login: 0, logout: 100, sessionTime: 100, input: 10_000n, output: 10_000n }),
      row({ login: 120, lastUpdate: 130, sessionTime: 10, input: 100n, output: 100n, flags: ['missing_start'], interims: 1 }),
    ],
  },
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'a Stop whose login is after a closed session ended is a new, closed session',
    packets: [start(0), stop(100), stop(1000, c(500, 1, 1))],
    actions: ['start', 'stop', 'stop_without_start'],
    sessions: [row({ login: 0, logout: 100 }), row({ login: 500, logout: 1000, sessionTime: 500, input: 1n, output: 1n, flags: ['missing_start'] })],
  },
  {
    rule: '§4 Reuse of an Acct-Session-Id',
    name: 'a retransmitted Stop with a jittered delay (E 0.5 s later) is the same session: no second session, billed once',
    packets: [stop(600, { ...c(0, 5000, 700), delay: 0 }), stop(601.5, { ...c(0, 5000, 700), delay: 1 })],
    actions: ['stop_without_start', 'duplicate_stop'],
    sessions: [row({ login: 600, logout: 600, input: 5000n, output: 700n, flags: ['missing_start'] })],
  },
  // §4 Interim-Update
  {
    rule: '§4 Interim-Update',
    name: 'an Interim advances counters, last_update and framed IP, and counts in interim_count',
    packets: [start(0), interim(300, { ...c(300, 10, 20), framedIp: '100.64.0.9' })],
    actions: ['start', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 300, sessionTime: 300, input: 10n, output: 20n, framedIp: '100.64.0.9', interims: 1 })],
  },
  {
    rule: '§4 Interim-Update',
    name: 'an older Interim arriving late never lowers counters or last_update, and is no regression',
    packets: [start(0), interim(600, c(600, 50, 60)), interim(610, { ...c(300, 10, 20), delay: 310, framedIp: '100.64.0.1' })],
    actions: ['start', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 600, sessionTime: 600, input: 50n, output: 60n, interims: 1 })],
  },
  {
    rule: '§4 Interim-Update',
    name: 'a retransmitted Interim (same Acct-Session-Time, 1 s later) is not counted twice',
    packets: [start(0), interim(300, c(300, 10, 20)), interim(301, c(300, 10, 20))],
    actions: ['start', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 301, sessionTime: 300, input: 10n, output: 20n, interims: 1 })],
  },
  {
    rule: '§4 Interim-Update',
    name: 'Interims without Acct-Session-Time count by a later event time',
    packets: [start(0), interim(300, { inputOctets: 5 }), interim(600, { inputOctets: 9 }), interim(600, { inputOctets: 9 })],
    actions: ['start', 'interim', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 600, input: 9n, interims: 2 })],
  },
  {
    rule: '§4 Interim-Update',
    name: 'an Interim with no session creates it open, login = E − Acct-Session-Time, flag missing_start',
    packets: [interim(900, c(600, 1, 2))],
    actions: ['interim_without_start'],
    sessions: [row({ login: 300, lastUpdate: 900, sessionTime: 600, input: 1n, output: 2n, flags: ['missing_start'], interims: 1 })],
  },
  {
    rule: '§4 Interim-Update',
    name: 'an Interim for a closed session leaves it closed, counters only grow, flag late_interim',
    packets: [start(0), stop(600, c(600, 100, 100)), interim(620, { ...c(300, 50, 200), delay: 320 })],
    actions: ['start', 'stop', 'late_interim'],
    sessions: [row({ login: 0, logout: 600, sessionTime: 600, input: 100n, output: 200n, flags: ['late_interim'] })],
  },
  // §4 Stop
  {
    rule: '§4 Stop',
    name: 'a Stop without octets changes no counter (unlike FreeRADIUS, which writes 0)',
    packets: [start(0), interim(300, c(300, 70, 80)), stop(600)],
    actions: ['start', 'interim', 'stop'],
    sessions: [row({ login: 0, logout: 600, sessionTime: 300, input: 70n, output: 80n, interims: 1 })],
  },
  {
    rule: '§4 Stop',
    name: 'a Stop with no session creates it closed, login = E − Acct-Session-Time, flag missing_start',
    packets: [stop(900, c(900, 1, 1))],
    actions: ['stop_without_start'],
    sessions: [row({ login: 0, logout: 900, sessionTime: 900, input: 1n, output: 1n, flags: ['missing_start'] })],
  },
  {
    rule: '§4 Stop',
    name: 'a Stop with no session and no Acct-Session-Time: login = E, flags missing_start and unknown_duration',
    packets: [stop(900)],
    actions: ['stop_without_start'],
    sessions: [row({ login: 900, logout: 900, flags: ['missing_start', 'unknown_duration'] })],
  },
  {
    rule: '§4 Stop',
    name: 'a second Stop is a duplicate and changes nothing (unlike FreeRADIUS, which rewrites the row)',
    packets: [start(0), stop(900, { ...c(900, 5, 5), terminateCause: 'User-Request' }), stop(950, { ...c(900, 9, 9), terminateCause: 'Lost-Carrier' })],
    actions: ['start', 'stop', 'duplicate_stop'],
    sessions: [row({ login: 0, logout: 900, sessionTime: 900, input: 5n, output: 5n, cause: 'User-Request' })],
  },
  {
    rule: '§4 Stop',
    name: 'a Stop with E before the login closes at the login, never before',
    packets: [start(100), stop(120, { eventTimestamp: eventTimestampAt(50), ...c(0, 3, 4) })],
    actions: ['start', 'stop'],
    sessions: [row({ login: 100, logout: 100, input: 3n, output: 4n })],
  },
  {
    rule: '§4 Stop',
    name: 'the NAS\'s Stop after a restart replaced radtrack\'s estimate: its logout, session time, counters and cause',
    packets: [start(0), interim(300, c(300, 5, 5)), accountingOn(1000), stop(1010, { ...c(400, 9, 9), delay: 610, terminateCause: 'Lost-Carrier' })],
    actions: ['start', 'interim', 'nas_restart', 'stop_overrides_estimate'],
    sessions: [row({ login: 0, logout: 400, sessionTime: 400, input: 9n, output: 9n, cause: 'Lost-Carrier', interims: 1 })],
    lastRestart: 1000,
  },
  // §4 Accounting-On and Accounting-Off
  {
    rule: '§4 Accounting-On and Accounting-Off',
    name: 'Accounting-On closes every open session at R: nas_restart, NAS-Reboot, session time = logout − login, octets kept',
    packets: [start(0), start(100, { sessionId: 's2', userName: 'bob', nasPort: 8 }), interim(300, c(300, 50, 60)), accountingOn(1000)],
    actions: ['start', 'start', 'interim', 'nas_restart'],
    sessions: [
      row({ login: 0, logout: 1000, closeReason: 'nas_restart', lastUpdate: 300, input: 50n, output: 60n, interims: 1 }),
      row({ sid: 's2', user: 'bob', port: '8', login: 100, logout: 1000, closeReason: 'nas_restart' }),
    ],
    lastRestart: 1000,
  },
  {
    rule: '§4 Accounting-On and Accounting-Off',
    name: 'an Interim sent before the restart and arriving after it is late: counters grow, radtrack\'s session time is no regression',
    packets: [start(0), accountingOn(1000), interim(1010, { ...c(500, 50, 60), delay: 510 })],
    actions: ['start', 'nas_restart', 'late_interim'],
    sessions: [row({ login: 0, logout: 1000, closeReason: 'nas_restart', input: 50n, output: 60n, flags: ['late_interim'] })],
    lastRestart: 1000,
  },
  {
    rule: '§4 Accounting-On and Accounting-Off',
    name: 'Accounting-Off takes its terminate cause from the packet',
    packets: [start(0), accountingOff(500, { terminateCause: 'Admin-Reboot' })],
    actions: ['start', 'nas_restart'],
    sessions: [row({ login: 0, logout: 500, closeReason: 'nas_restart', cause: 'Admin-Reboot' })],
    lastRestart: 500,
  },
  {
    rule: '§4 Accounting-On and Accounting-Off',
    name: 'a session that started after the restart time stays open',
    packets: [start(600), accountingOn(700, { delay: 200 })],
    actions: ['start', 'nas_restart'],
    sessions: [row({ login: 600 })],
    lastRestart: 500,
  },
  {
    rule: '§4 Accounting-On and Accounting-Off',
    name: 'a copy of the last restart (E within 30 s after it) is that restart: sessions begun since stay open',
    packets: [start(0), accountingOn(500), start(510, { sessionId: 's2', userName: 'bob', nasPort: 8 }), accountingOn(520)],
    actions: ['start', 'nas_restart', 'start', 'nas_restart'],
    sessions: [row({ login: 0, logout: 500, closeReason: 'nas_restart' }), row({ sid: 's2', user: 'bob', port: '8', login: 510 })],
    lastRestart: 500,
  },
  {
    rule: '§4 Accounting-On and Accounting-Off',
    name: 'an earlier restart arriving late never moves last_restart back',
    packets: [accountingOn(1000), accountingOn(1100, { delay: 700 })],
    actions: ['nas_restart', 'nas_restart'],
    sessions: [],
    lastRestart: 1000,
  },
  // §6 Conflicting open sessions on one port
  {
    rule: '§6 Port conflicts',
    name: 'autoclose: the older session on the port is superseded at the newer login, both flagged port_conflict',
    packets: [start(0), start(100, { sessionId: 's2', userName: 'bob' })],
    actions: ['start', 'start'],
    sessions: [
      row({ login: 0, logout: 100, closeReason: 'superseded', flags: ['port_conflict'] }),
      row({ sid: 's2', user: 'bob', login: 100, flags: ['port_conflict'] }),
    ],
  },
  {
    rule: '§6 Port conflicts',
    name: 'autoclose: the superseded session\'s own Stop replaces radtrack\'s estimate',
    packets: [start(0), start(100, { sessionId: 's2', userName: 'bob' }), stop(150, { ...c(150, 500, 600), terminateCause: 'User-Request' })],
    actions: ['start', 'start', 'stop_overrides_estimate'],
    sessions: [
      row({ login: 0, logout: 150, sessionTime: 150, input: 500n, output: 600n, cause: 'User-Request', flags: ['port_conflict'] }),
      row({ sid: 's2', user: 'bob', login: 100, flags: ['port_conflict'] }),
    ],
  },
  {
    rule: '§6 Port conflicts',
    name: 'autoclose: never closes the older session before its last update',
    packets: [start(0), interim(500, c(500, 7, 7)), start(600, { sessionId: 's2', userName: 'bob', delay: 500 })],
    actions: ['start', 'interim', 'start'],
    sessions: [
      row({ login: 0, logout: 500, closeReason: 'superseded', lastUpdate: 500, input: 7n, output: 7n, interims: 1, flags: ['port_conflict'] }),
      row({ sid: 's2', user: 'bob', login: 100, flags: ['port_conflict'] }),
    ],
  },
  {
    rule: '§6 Port conflicts',
    name: 'autoclose: a late Start with a login earlier than the open session\'s is the one closed, at the other\'s login',
    packets: [start(100, { sessionId: 's2', userName: 'bob' }), start(200, { delay: 200 })],
    actions: ['start', 'start'],
    sessions: [
      row({ login: 0, logout: 100, closeReason: 'superseded', flags: ['port_conflict'] }),
      row({ sid: 's2', user: 'bob', login: 100, flags: ['port_conflict'] }),
    ],
  },
  {
    rule: '§6 Port conflicts',
    name: 'autoclose: an Interim seen first whose login is earlier than the open session\'s is closed, not before its last update',
    packets: [start(100, { sessionId: 's2', userName: 'bob' }), interim(200, c(200, 1, 1))],
    actions: ['start', 'interim_without_start'],
    sessions: [
      row({ login: 0, logout: 200, closeReason: 'superseded', lastUpdate: 200, input: 1n, output: 1n, interims: 1, flags: ['missing_start', 'port_conflict'] }),
      row({ sid: 's2', user: 'bob', login: 100, flags: ['port_conflict'] }),
    ],
  },
  {
    rule: '§6 Port conflicts',
    name: 'flag: both sessions stay open, both flagged port_conflict',
    nas: { portPolicy: 'flag' },
    packets: [start(0), start(100, { sessionId: 's2', userName: 'bob' })],
    actions: ['start', 'start'],
    sessions: [row({ login: 0, flags: ['port_conflict'] }), row({ sid: 's2', user: 'bob', login: 100, flags: ['port_conflict'] })],
  },
  {
    rule: '§6 Port conflicts',
    name: 'ignore: nothing happens',
    nas: { portPolicy: 'ignore' },
    packets: [start(0), start(100, { sessionId: 's2', userName: 'bob' })],
    actions: ['start', 'start'],
    sessions: [row({ login: 0 }), row({ sid: 's2', user: 'bob', login: 100 })],
  },
  {
    rule: '§6 Port conflicts',
    name: 'sessions without a port never conflict',
    packets: [start(0, { nasPort: undefined }), start(100, { sessionId: 's2', userName: 'bob', nasPort: undefined })],
    actions: ['start', 'start'],
    sessions: [row({ login: 0, port: null }), row({ sid: 's2', user: 'bob', port: null, login: 100 })],
  },
  {
    rule: '§6 Port conflicts',
    name: 'the port is NAS-Port-Id when present: the same NAS-Port under another NAS-Port-Id is another port',
    packets: [start(0, { nasPortId: 'eth0/1' }), start(100, { sessionId: 's2', userName: 'bob', nasPortId: 'eth0/2' })],
    actions: ['start', 'start'],
    sessions: [row({ login: 0, port: 'eth0/1' }), row({ sid: 's2', user: 'bob', port: 'eth0/2', login: 100 })],
  },
  // §4 Sessions: identity and accounts
  {
    rule: '§4 Sessions',
    name: 'one Acct-Session-Id under two accounts is two sessions',
    packets: [start(0, { nasPort: 1 }), start(10, { nasPort: 2, userName: 'bob' }), stop(100, { nasPort: 2, userName: 'bob', ...c(90, 1, 1) })],
    actions: ['start', 'start', 'stop'],
    sessions: [row({ login: 0, port: '1' }), row({ user: 'bob', port: '2', login: 10, logout: 100, sessionTime: 90, input: 1n, output: 1n })],
  },
  {
    rule: '§4 Sessions',
    name: 'a packet without User-Name is booked to the account with the empty name',
    packets: [start(0, { userName: undefined })],
    actions: ['start'],
    sessions: [row({ login: 0, user: '' })],
  },
  // §4 Counters
  {
    rule: '§4 Counters',
    name: 'a lower counter in a newer packet is kept and flagged counter_regression',
    packets: [start(0), interim(300, c(300, 500, 60)), interim(600, c(600, 100, 90))],
    actions: ['start', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 600, sessionTime: 600, input: 500n, output: 90n, interims: 2, flags: ['counter_regression'] })],
  },
  {
    rule: '§4 Counters',
    name: 'a 32-bit counter that falls from the upper half while Acct-Session-Time moves on wrapped: 2^32 added, counter_wrap',
    packets: [start(0), interim(300, c(300, TWO_32 - 1000n, 10)), interim(600, c(600, 500, 20))],
    actions: ['start', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 600, sessionTime: 600, input: TWO_32 + 500n, output: 20n, interims: 2, flags: ['counter_wrap'] })],
  },
  {
    rule: '§4 Counters',
    name: 'the same fall without Acct-Session-Time moving forward is a regression, not a wrap',
    packets: [start(0), interim(300, c(300, TWO_32 - 1000n, 10)), interim(600, c(300, 500, 20))],
    actions: ['start', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 600, sessionTime: 300, input: TWO_32 - 1000n, output: 20n, interims: 1, flags: ['counter_regression'] })],
  },
  {
    rule: '§4 Counters',
    name: 'after a wrap, later 32-bit values count in the new window, and an older one in the window before',
    packets: [
      start(0),
      interim(300, c(300, TWO_32 - 1000n, 0)),
      interim(600, c(600, 500, 0)),
      interim(900, c(900, 9000, 0)),
      interim(910, { ...c(450, TWO_32 - 10n, 0), delay: 460 }),
    ],
    actions: ['start', 'interim', 'interim', 'interim', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 900, sessionTime: 900, input: TWO_32 + 9000n, interims: 3, flags: ['counter_wrap'] })],
  },
  {
    rule: '§4 Counters',
    name: 'octets with Acct-*-Gigawords are 64-bit: Gigawords × 2^32 + Octets',
    packets: [start(0), stop(600, c(600, 5n * TWO_32 + 7n, TWO_32))],
    actions: ['start', 'stop'],
    sessions: [row({ login: 0, logout: 600, sessionTime: 600, input: 5n * TWO_32 + 7n, output: TWO_32 })],
  },
  // §3 Time and plausibility
  {
    rule: '§3 Time',
    name: 'without an Event-Timestamp, E is the arrival minus Acct-Delay-Time',
    packets: [start(100, { delay: 30 }), interim(400, { ...c(300, 5, 5), delay: 45 })],
    actions: ['start', 'interim'],
    sessions: [row({ login: 70, lastUpdate: 355, sessionTime: 300, input: 5n, output: 5n, interims: 1 })],
  },
  {
    rule: '§3 Time',
    name: 'E is the Event-Timestamp when present, and Acct-Delay-Time is not subtracted from it',
    packets: [start(100, { eventTimestamp: eventTimestampAt(40), delay: 30 })],
    actions: ['start'],
    sessions: [row({ login: 40 })],
  },
  {
    rule: '§3 Plausibility',
    name: 'an Event-Timestamp 8 days before arrival is not believed (7-day rule): E = arrival, implausible_event_timestamp',
    packets: [start(100, { eventTimestamp: eventTimestampAt(100 - 8 * DAY) })],
    actions: ['start'],
    sessions: [row({ login: 100, flags: ['implausible_event_timestamp'] })],
  },
  {
    rule: '§3 Plausibility',
    name: 'an Event-Timestamp 6 days before arrival is believed',
    packets: [start(100, { eventTimestamp: eventTimestampAt(100 - 6 * DAY) })],
    actions: ['start'],
    sessions: [row({ login: 100 - 6 * DAY })],
  },
  {
    rule: '§3 Plausibility',
    name: 'an Event-Timestamp 8 days after arrival is not believed either',
    packets: [start(100, { eventTimestamp: eventTimestampAt(100 + 8 * DAY) })],
    actions: ['start'],
    sessions: [row({ login: 100, flags: ['implausible_event_timestamp'] })],
  },
  {
    rule: '§3 Plausibility',
    name: 'an Acct-Delay-Time above 7 days is not believed: E = arrival, implausible_delay',
    packets: [start(100, { delay: 8 * DAY })],
    actions: ['start'],
    sessions: [row({ login: 100, flags: ['implausible_delay'] })],
  },
  {
    rule: '§3 Plausibility',
    name: 'a NAS whose clock limit is NULL is trusted: an Event-Timestamp 30 days old is used',
    nas: { clockLimit: null },
    packets: [start(100, { eventTimestamp: eventTimestampAt(100 - 30 * DAY) })],
    actions: ['start'],
    sessions: [row({ login: 100 - 30 * DAY })],
  },
  {
    rule: '§3 Plausibility',
    name: 'an Acct-Session-Time above 366 days is treated as absent, flag implausible_session_time',
    packets: [interim(900, { sessionTime: 0xffffffff, inputOctets: 10 })],
    actions: ['interim_without_start'],
    sessions: [row({ login: 900, lastUpdate: 900, input: 10n, interims: 1, flags: ['implausible_session_time', 'missing_start'] })],
  },
  {
    rule: '§3 Plausibility',
    name: 'octets of 2^62 and more are treated as absent, flag implausible_counter',
    packets: [start(0), interim(300, c(300, 2n ** 62n, 40))],
    actions: ['start', 'interim'],
    sessions: [row({ login: 0, lastUpdate: 300, sessionTime: 300, output: 40n, interims: 1, flags: ['implausible_counter'] })],
  },
  {
    rule: '§3 Plausibility',
    name: 'a closed session past the clock limit plus a day is final: a later Interim with its id is a new session',
    nas: { clockLimit: 3600 },
    packets: [start(0), stop(600), interim(600 + 2 * DAY, { inputOctets: 3 })],
    actions: ['start', 'stop', 'interim_without_start'],
    sessions: [
      row({ login: 0, logout: 600 }),
      row({ login: 600 + 2 * DAY, lastUpdate: 600 + 2 * DAY, input: 3n, interims: 1, flags: ['missing_start'] }),
    ],
  },
  {
    rule: '§3 Plausibility',
    name: 'within the clock limit plus a day the same Interim is late for the closed session',
    nas: { clockLimit: 3600 },
    packets: [start(0), stop(600), interim(600 + DAY, { inputOctets: 3 })],
    actions: ['start', 'stop', 'late_interim'],
    sessions: [row({ login: 0, logout: 600, input: 3n, flags: ['late_interim'] })],
  },
  // §2 Other status types
  {
    rule: '§2 Answering',
    name: 'a Failed (15) packet is journaled and changes no session',
    packets: [{ at: 0, spec: { statusType: 15, sessionId: 's1', userName: 'alice', nasPort: 7 } }],
    actions: ['journal_only'],
    sessions: [],
  },
];
