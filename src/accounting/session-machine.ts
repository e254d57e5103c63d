// The session rules of accounting.md §4 and §6, as pure functions over in-memory state.
// Every rule is monotonic (login only earlier, last_update and counters only forward, a closed session never
// reopens), which is what makes a retransmitted or reordered packet harmless.
import type { NasRestartEvent, SessionEvent } from './event.ts';
import {
  addFlag,
  COUNTER_NAMES,
  coveredEnd,
  maxDate,
  type SessionState,
} from './session.ts';

export type PortPolicy = 'autoclose' | 'flag' | 'ignore';

/** Where a new session would go: resolved by the db layer before the rules run. */
export interface SessionPlace {
  nasId: bigint;
  portId: bigint | null;
  accountId: bigint;
  exclusivePort: boolean;
}

export type SessionAction =
  | 'start'
  | 'late_start'
  | 'duplicate_start'
  | 'interim'
  | 'interim_without_start'
  | 'late_interim'
  | 'stop'
  | 'stop_without_start'
  | 'duplicate_stop'
  | 'stop_overrides_estimate';

export interface Transition {
  action: SessionAction;
  /** The session after the event: `current` itself (mutated) or a new session. */
  session: SessionState;
  /** A new session was made (first sight, or the NAS reused the Acct-Session-Id of a closed one). */
  created: boolean;
}

const SECOND = 1000;

function blankSession(place: SessionPlace, ev: SessionEvent, login: Date): SessionState {
  return {
    id: null,
    ...place,
    acctSessionId: ev.acctSessionId,
    login,
    logout: null,
    lastUpdate: ev.time,
    sessionTime: 0n,
    inputOctets: 0n,
    outputOctets: 0n,
    inputPackets: 0n,
    outputPackets: 0n,
    framedIp: ev.framedIp ?? null,
    callingStationId: ev.callingStationId ?? null,
    calledStationId: ev.calledStationId ?? null,
    terminateCause: null,
    closeReason: null,
    logoutEstimated: false,
    flags: [...ev.flags],
    interimCount: 0,
  };
}

/** Login estimated from the packet: E − Acct-Session-Time, or null when the packet has no session time. */
function loginFromSessionTime(ev: SessionEvent): Date | null {
  const st = ev.counters.sessionTime;
  return st === undefined ? null : new Date(ev.time.getTime() - Number(st) * SECOND);
}

/**
 * Counters only move forward. A lower value in a packet that is not older than the session's last update
 * is a regression the NAS made: keep the old value and flag it. An older packet never lowers anything.
 */
function mergeCounters(s: SessionState, ev: SessionEvent): boolean {
  const newer = ev.time.getTime() >= s.lastUpdate.getTime();
  let changed = false;
  for (const name of COUNTER_NAMES) {
    const value = ev.counters[name];
    if (value === undefined) continue;
    if (value > s[name]) {
      s[name] = value;
      changed = true;
    } else if (value < s[name] && newer) {
      addFlag(s, 'counter_regression');
    }
  }
  return changed;
}

function mergePacketFlags(s: SessionState, ev: SessionEvent): void {
  for (const flag of ev.flags) addFlag(s, flag);
}

/** A packet for a closed session that is really the first sight of a new one (the NAS reused the Acct-Session-Id). */
function isReuse(closed: SessionState, ev: SessionEvent): boolean {
  const logout = closed.logout!.getTime();
  if (ev.kind === 'start') return ev.time.getTime() > logout;
  const login = loginFromSessionTime(ev);
  return login !== null && login.getTime() > logout;
}

function createFromEvent(ev: SessionEvent, place: SessionPlace): Transition {
  if (ev.kind === 'start') {
    const s = blankSession(place, ev, ev.time);
    mergeCounters(s, ev);
    return { action: 'start', session: s, created: true };
  }
  const estimated = loginFromSessionTime(ev);
  const s = blankSession(place, ev, estimated ?? ev.time);
  addFlag(s, 'missing_start');
  if (ev.kind === 'interim') {
    mergeCounters(s, ev);
    s.interimCount = 1;
    return { action: 'interim_without_start', session: s, created: true };
  }
  if (estimated === null) addFlag(s, 'unknown_duration');
  mergeCounters(s, ev);
  closeByStop(s, ev);
  return { action: 'stop_without_start', session: s, created: true };
}

function closeByStop(s: SessionState, ev: SessionEvent): void {
  s.logout = maxDate(ev.time, s.login);
  s.lastUpdate = maxDate(s.lastUpdate, ev.time);
  s.closeReason = 'stop';
  s.logoutEstimated = false;
  if (ev.terminateCause !== undefined) s.terminateCause = ev.terminateCause;
  if (ev.framedIp !== undefined) s.framedIp = ev.framedIp;
}

function applyStart(s: SessionState, ev: SessionEvent): Transition {
  // An Interim came first: the Start only fills in the login.
  let changed = false;
  if (ev.time.getTime() < s.login.getTime()) {
    s.login = ev.time;
    changed = true;
  }
  if (s.flags.includes('missing_start')) {
    s.flags = s.flags.filter((f) => f !== 'missing_start');
    addFlag(s, 'late_start');
    changed = true;
  }
  mergePacketFlags(s, ev);
  return { action: changed ? 'late_start' : 'duplicate_start', session: s, created: false };
}

function applyInterim(s: SessionState, ev: SessionEvent): Transition {
  const prevSessionTime = s.sessionTime;
  const prevLastUpdate = s.lastUpdate;
  const newer = ev.time.getTime() > prevLastUpdate.getTime();
  mergeCounters(s, ev);
  mergePacketFlags(s, ev);
  if (s.logout !== null) {
    addFlag(s, 'late_interim');
    return { action: 'late_interim', session: s, created: false };
  }
  // A distinct update carries a later Acct-Session-Time; without one, a later event time.
  const st = ev.counters.sessionTime;
  const distinct = st !== undefined ? st > prevSessionTime : newer;
  if (distinct) s.interimCount += 1;
  if (newer) {
    s.lastUpdate = ev.time;
    if (ev.framedIp !== undefined) s.framedIp = ev.framedIp;
  }
  return { action: 'interim', session: s, created: false };
}

function applyStop(s: SessionState, ev: SessionEvent): Transition {
  if (s.logout !== null && s.closeReason === 'stop') {
    return { action: 'duplicate_stop', session: s, created: false };
  }
  // Open, or closed by radtrack's own estimate (superseded, stale, NAS restart): the NAS's Stop is authoritative.
  const overrides = s.logout !== null;
  mergeCounters(s, ev);
  mergePacketFlags(s, ev);
  closeByStop(s, ev);
  return { action: overrides ? 'stop_overrides_estimate' : 'stop', session: s, created: false };
}

/**
 * Applies one Start, Interim-Update or Stop to the session with its identity (the latest one, or null).
 * `current` is mutated in place when the event applies to it.
 */
export function applySessionEvent(current: SessionState | null, ev: SessionEvent, place: SessionPlace): Transition {
  if (current === null) return createFromEvent(ev, place);
  if (current.logout !== null && isReuse(current, ev)) return createFromEvent(ev, place);
  switch (ev.kind) {
    case 'start':
      if (current.logout !== null) return { action: 'duplicate_start', session: current, created: false };
      return applyStart(current, ev);
    case 'interim':
      return applyInterim(current, ev);
    case 'stop':
      return applyStop(current, ev);
  }
}

/** Accounting-On/Off closes an open session that began at or before the restart (§4). */
export function closeForNasRestart(s: SessionState, ev: NasRestartEvent): boolean {
  if (s.logout !== null || s.login.getTime() > ev.time.getTime()) return false;
  s.logout = ev.time;
  s.closeReason = 'nas_restart';
  s.terminateCause = ev.terminateCause ?? 'NAS-Reboot';
  s.logoutEstimated = true;
  return true;
}

/**
 * §6: `opened` just became open on a port where `others` are open. Returns the sessions it changed.
 * autoclose closes every older one at the newer login (never before its last update); flag marks both.
 */
export function resolvePortConflict(opened: SessionState, others: SessionState[], policy: PortPolicy): SessionState[] {
  if (policy === 'ignore' || opened.logout !== null) return [];
  const rivals = others.filter((o) => o !== opened && o.logout === null);
  if (rivals.length === 0) return [];
  const changed = new Set<SessionState>();
  for (const rival of rivals) {
    addFlag(rival, 'port_conflict');
    addFlag(opened, 'port_conflict');
    changed.add(rival);
    changed.add(opened);
    if (policy !== 'autoclose') continue;
    const [older, newer] = rival.login.getTime() <= opened.login.getTime() ? [rival, opened] : [opened, rival];
    if (older.logout !== null) continue;
    older.logout = maxDate(newer.login, coveredEnd(older));
    older.closeReason = 'superseded';
    older.logoutEstimated = true;
  }
  return [...changed];
}
