// What one packet may claim (docs/accounting.md "Plausibility"). A NAS without NTP sends 1970 or 2050, a
// broken one Acct-Session-Time 4294967295 or Gigawords 0xFFFFFFFF: believed, one such packet would bill
// decades, close other users' sessions far in the future, or overflow a column. A value outside these bounds
// is not used; the session gets a flag saying which one was refused, and the packet is still journaled whole.

const DAY_SECONDS = 86_400;

/**
 * §3: Acct-Delay-Time above this is implausible; so is an Event-Timestamp further than this from arrival.
 * A NAS may be given its own limit, or none (nas.max_clock_offset NULL): one that replays old accounting.
 */
export const MAX_CLOCK_OFFSET_SECONDS = 7 * DAY_SECONDS;

/** Seconds an event time may be from arrival, for one NAS; null: any (the NAS's clock is trusted). */
export type ClockLimit = number | null;

/** Longer than a year online without a new session: no NAS does that; the value is a counter gone wrong. */
export const MAX_SESSION_TIME_SECONDS = 366 * DAY_SECONDS;

/**
 * 2^62 octets (4.6 EB): more than a 100 Gbit/s line moves in a decade, and safely inside PostgreSQL's
 * signed 64-bit bigint even after adding up. Gigawords of 2^30 and more reach it.
 */
export const MAX_OCTETS = 2n ** 62n;

export function plausibleDelay(seconds: number, limit: ClockLimit): boolean {
  return limit === null || seconds <= limit;
}

export function plausibleEventTimestamp(seconds: number, arrival: Date, limit: ClockLimit): boolean {
  return limit === null || Math.abs(seconds * 1000 - arrival.getTime()) <= limit * 1000;
}

// Every event time is within these, whatever a NAS is allowed (Event-Timestamp is 32-bit seconds since 1970,
// a session lasts at most MAX_SESSION_TIME_SECONDS): the window of sessions a packet can possibly touch.
const EARLIEST_EVENT = Date.UTC(1969, 0, 1);
const LATEST_EVENT = Date.UTC(2107, 0, 1);

/**
 * The closed sessions a packet that arrived at `arrival` can still change: those whose logout is within the
 * NAS's clock limit of it. Older ones are final (docs/accounting.md "Plausibility").
 */
export function touchableLogouts(arrival: Date, limit: ClockLimit): { since: number; until: number } {
  if (limit === null) return { since: EARLIEST_EVENT, until: LATEST_EVENT };
  // One more day on each side: a session's logout can be its Stop's event time, itself up to `limit` off.
  const margin = (limit + DAY_SECONDS) * 1000;
  return { since: arrival.getTime() - margin, until: arrival.getTime() + margin };
}

export function plausibleSessionTime(seconds: number): boolean {
  return seconds <= MAX_SESSION_TIME_SECONDS;
}

export function plausibleOctets(octets: bigint): boolean {
  return octets < MAX_OCTETS;
}
