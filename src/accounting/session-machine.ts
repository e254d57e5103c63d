// The session rules of docs/accounting.md §4 and §6, as pure functions over in-memory state.
// Every rule is monotonic (login only earlier, last_update and counters only forward, a closed session never
// reopens), which is what makes a retransmitted or reordered packet harmless.
import type { NasRestartEvent, SessionEvent } from './event.ts';
import type { PortPolicy } from './port-policy.ts';
import { addFlag, COUNTER_NAMES, coveredEnd, maxDate, type CloseReason, type SessionState } from './session.ts';

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

/**
 * How far apart the event times of two copies of one packet can be. A NAS that resends without raising
 * Acct-Delay-Time (or a copy answered by nobody because radtrack was killed) moves arrival − delay by its
 * retransmission interval; RFC 5080 §2.2.1 retransmits for up to about 30 s.
 */
export const RETRANSMIT_TOLERANCE_MS = 30 * SECOND;

const TWO_32 = 2n ** 32n;
const TWO_31 = 2n ** 31n;

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
 * A NAS without Acct-*-Gigawords sends 32-bit octet counters that wrap at 2^32. The packet's value is read
 * in the 2^32 window the stored counter is in. A newer packet whose value falls from the upper half of the
 * window into the lower half, with the session time moving forward, wrapped once more (flag counter_wrap);
 * an older packet's value that would land above the stored one belongs to the window before.
 */
function unwrap32(stored: bigint, value: bigint, newer: boolean, timeForward: boolean): { value: bigint; wrapped: boolean } {
  const base = (stored / TWO_32) * TWO_32;
  const low = stored - base;
  let candidate = base + value;
  if (newer && candidate < stored && timeForward && low >= TWO_31 && value < TWO_31) return { value: candidate + TWO_32, wrapped: true };
  if (!newer && candidate > stored && base > 0n) candidate -= TWO_32;
  return { value: candidate, wrapped: false };
}

/**
 * Counters only move forward. A lower value in a packet that is not older than the session's last update
 * is a regression the NAS made: keep the old value and flag it. An older packet never lowers anything.
 * The session time of a session radtrack closed itself is its own estimate (logout − login), not the NAS's
 * counter: a packet below it is no regression.
 */
function mergeCounters(s: SessionState, ev: SessionEvent): boolean {
  const newer = ev.time.getTime() >= s.lastUpdate.getTime();
  const timeForward = ev.counters.sessionTime !== undefined && ev.counters.sessionTime > s.sessionTime;
  let changed = false;
  for (const name of COUNTER_NAMES) {
    let value = ev.counters[name];
    if (value === undefined) continue;
    if (ev.without32BitGigawords?.includes(name as 'inputOctets' | 'outputOctets')) {
      const unwrapped = unwrap32(s[name], value, newer, timeForward);
      value = unwrapped.value;
      if (unwrapped.wrapped) addFlag(s, 'counter_wrap');
    }
    if (value > s[name]) {
      s[name] = value;
      changed = true;
    } else if (value < s[name] && newer && !(name === 'sessionTime' && s.logoutEstimated)) {
      addFlag(s, 'counter_regression');
    }
  }
  return changed;
}

function mergePacketFlags(s: SessionState, ev: SessionEvent): void {
  for (const flag of ev.flags) addFlag(s, flag);
}

function countersBelow(s: SessionState, ev: SessionEvent): boolean {
  return COUNTER_NAMES.some((name) => {
    const value = ev.counters[name];
    return value !== undefined && value < s[name];
  });
}

/**
 * A packet for a closed session that is really the first sight of a new one: the NAS reused the
 * Acct-Session-Id. A copy of one of the session's own packets is not (RETRANSMIT_TOLERANCE_MS): a Start
 * whose event time is near the session's login, or an Interim/Stop whose login (E − Acct-Session-Time) is
 * near its logout without counters below the session's (a new session counts from zero).
 */
function isReuse(closed: SessionState, ev: SessionEvent): boolean {
  const logout = closed.logout!.getTime();
  if (ev.kind === 'start') {
    const e = ev.time.getTime();
    return e > logout && Math.abs(e - closed.login.getTime()) > RETRANSMIT_TOLERANCE_MS;
  }
  const login = loginFromSessionTime(ev);
  if (login === null || login.getTime() <= logout) return false;
  return login.getTime() > logout + RETRANSMIT_TOLERANCE_MS || countersBelow(closed, ev);
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

/**
 * radtrack closes a session itself (superseded, stale, NAS restart): logout is an estimate, the session time
 * is logout − login as the NAS would have reported it, the octets stay as last reported (§4, §5).
 */
export function closeEstimated(s: SessionState, logout: Date, reason: Exclude<CloseReason, 'stop'>, terminateCause?: string): void {
  s.logout = maxDate(logout, s.login);
  s.closeReason = reason;
  s.logoutEstimated = true;
  s.sessionTime = BigInt(Math.round((s.logout.getTime() - s.login.getTime()) / SECOND));
  if (terminateCause !== undefined) s.terminateCause = terminateCause;
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
  // Open, or closed by radtrack's own estimate (superseded, stale, NAS restart): the NAS's Stop is
  // authoritative, its session time included (ours was only logout − login of the estimate).
  const overrides = s.logout !== null;
  if (overrides && ev.counters.sessionTime !== undefined) s.sessionTime = ev.counters.sessionTime;
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

/**
 * When a restart happened. A copy of the last restart's Accounting-On/Off (its event time within the
 * retransmission tolerance of the recorded one) is that same restart: it closes only what began before it,
 * not the sessions that started in between.
 */
export function effectiveRestartTime(ev: NasRestartEvent, lastRestart: Date | null): Date {
  if (lastRestart === null) return ev.time;
  return Math.abs(ev.time.getTime() - lastRestart.getTime()) <= RETRANSMIT_TOLERANCE_MS && lastRestart < ev.time ? lastRestart : ev.time;
}

/** Accounting-On/Off closes an open session that began at or before the restart (§4). */
export function closeForNasRestart(s: SessionState, ev: NasRestartEvent, at: Date = ev.time): boolean {
  if (s.logout !== null || s.login.getTime() > at.getTime()) return false;
  closeEstimated(s, at, 'nas_restart', ev.terminateCause ?? 'NAS-Reboot');
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
    closeEstimated(older, maxDate(newer.login, coveredEnd(older)), 'superseded');
  }
  return [...changed];
}
