// §9: every change to a session becomes segments [t0, t1) of covered time and counter growth, so usage in any
// period is the part of each segment inside it, octets spread evenly over the interval between two updates.
import { coveredEnd, type SessionState } from './session.ts';

export interface UsageSnapshot {
  login: Date;
  end: Date;
  lastUpdate: Date;
  inputOctets: bigint;
  outputOctets: bigint;
}

export interface UsageSegment {
  t0: Date;
  t1: Date;
  /** Signed change of covered time inside [t0, t1). */
  seconds: number;
  inputOctets: bigint;
  outputOctets: bigint;
}

export function usageSnapshot(s: SessionState): UsageSnapshot {
  return { login: s.login, end: coveredEnd(s), lastUpdate: s.lastUpdate, inputOctets: s.inputOctets, outputOctets: s.outputOctets };
}

const ms = (d: Date) => d.getTime();

/** Segments between a session before a change (null: it did not exist) and after it. */
export function usageSegments(before: UsageSnapshot | null, after: SessionState): UsageSegment[] {
  const start: UsageSnapshot = before ?? {
    login: after.login,
    end: after.login,
    lastUpdate: after.login,
    inputOctets: 0n,
    outputOctets: 0n,
  };
  const segments: UsageSegment[] = [];
  if (ms(after.login) < ms(start.login)) {
    segments.push({ t0: after.login, t1: start.login, seconds: (ms(start.login) - ms(after.login)) / 1000, inputOctets: 0n, outputOctets: 0n });
  }
  const e0 = start.end;
  const e1 = coveredEnd(after);
  const dIn = after.inputOctets - start.inputOctets;
  const dOut = after.outputOctets - start.outputOctets;
  const hasOctets = dIn > 0n || dOut > 0n;
  // Octets grew between the previous update and this one.
  const o0 = ms(start.lastUpdate) <= ms(e1) ? start.lastUpdate : e1;
  if (ms(e1) > ms(e0)) {
    const seconds = (ms(e1) - ms(e0)) / 1000;
    if (hasOctets && ms(o0) === ms(e0)) {
      segments.push({ t0: e0, t1: e1, seconds, inputOctets: dIn, outputOctets: dOut });
      return segments;
    }
    segments.push({ t0: e0, t1: e1, seconds, inputOctets: 0n, outputOctets: 0n });
  } else if (ms(e1) < ms(e0)) {
    segments.push({ t0: e1, t1: e0, seconds: -(ms(e0) - ms(e1)) / 1000, inputOctets: 0n, outputOctets: 0n });
  }
  if (hasOctets) segments.push({ t0: o0, t1: e1, seconds: 0, inputOctets: dIn, outputOctets: dOut });
  return segments;
}

/**
 * One segment as pieces of at most `maxMs` each, from t0 on, with the octets spread evenly by the cumulative
 * floor that usage_share uses (migration 20261122010000_reports), so the pieces add up to the segment exactly.
 * For an imported session (one segment over its whole span): pieces of a day keep it in the hourly rollups.
 */
export function splitSegment(s: UsageSegment, maxMs: number): UsageSegment[] {
  const a = ms(s.t0);
  const span = ms(s.t1) - a;
  if (span <= maxMs) return [s];
  const total = BigInt(span);
  const share = (octets: bigint, at: number) => (octets * BigInt(at - a)) / total;
  const pieces: UsageSegment[] = [];
  for (let from = a; from < a + span; from += maxMs) {
    const to = Math.min(from + maxMs, a + span);
    pieces.push({
      t0: new Date(from),
      t1: new Date(to),
      seconds: (s.seconds * (to - from)) / span,
      inputOctets: share(s.inputOctets, to) - share(s.inputOctets, from),
      outputOctets: share(s.outputOctets, to) - share(s.outputOctets, from),
    });
  }
  return pieces;
}
