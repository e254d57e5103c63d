// Billing periods (docs/accounting.md §9): a calendar month in the operator's zone, or explicit bounds.
// All arithmetic is in luxon with IANA zones, so a month with a DST change has 743 or 745 hours.
import { DateTime, IANAZone } from 'luxon';

/** A half-open interval [from, to) of instants, with the zone it was asked in (for display). */
export interface Period {
  from: Date;
  to: Date;
  zone: string;
}

export class PeriodError extends Error {}

const HOUR_MS = 3_600_000;

function checkZone(zone: string): void {
  if (zone !== 'UTC' && !IANAZone.isValidZone(zone)) throw new PeriodError(`"${zone}" is not a time zone`);
}

/** `YYYY-MM` in `zone`: from its first midnight to the next month's. */
export function monthPeriod(month: string, zone = 'UTC'): Period {
  checkZone(zone);
  const m = /^(\d{4})-(\d{2})$/.exec(month.trim());
  const start = m ? DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: 1 }, { zone }) : null;
  if (!start || !start.isValid) throw new PeriodError(`"${month}" is not a month; use YYYY-MM like 2026-10`);
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate(), zone };
}

/** The calendar month containing `now` in `zone`. */
export function currentMonth(now: Date, zone = 'UTC'): Period {
  checkZone(zone);
  const start = DateTime.fromJSDate(now, { zone }).startOf('month');
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate(), zone };
}

export function rangePeriod(from: Date, to: Date, zone = 'UTC'): Period {
  checkZone(zone);
  if (!(to.getTime() > from.getTime())) throw new PeriodError('the end of the period must be after its start');
  return { from, to, zone };
}

/** Length of the period in hours (743 for 2026-03 in Europe/Berlin). */
export function periodHours(p: Period): number {
  return (p.to.getTime() - p.from.getTime()) / HOUR_MS;
}

/**
 * How a period is answered: whole UTC hours [from, to) from the usage_hourly rollups, and edges — the parts
 * before the first and after the last whole hour (non-hour-aligned bounds such as Asia/Kolkata's +05:30) —
 * from usage_deltas. A period inside one hour has no whole hours and one edge.
 */
export interface PeriodPlan {
  hours: { from: Date; to: Date } | null;
  edges: { from: Date; to: Date }[];
}

/**
 * How the whole hours [from, to) of a plan are read: whole UTC months from the usage_monthly rollups, and hours
 * from usage_hourly — added where the hours reach past the months, taken away where a month reaches past the
 * hours. The months are the ones nearest to the bounds (a month in Europe/Berlin is the UTC month with an hour
 * or two added before and taken away at the end); none when that would not read fewer hours.
 */
export interface RollupPlan {
  months: { from: Date; to: Date } | null;
  add: { from: Date; to: Date }[];
  subtract: { from: Date; to: Date }[];
}

const utcMonth = (t: number, plus = 0) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1);
};

/** The UTC month start nearest to t (the earlier one on a tie). */
function nearestMonth(t: number): number {
  const [before, after] = [utcMonth(t), utcMonth(t, 1)];
  return t - before <= after - t ? before : after;
}

export function planRollups(hours: { from: Date; to: Date }): RollupPlan {
  const [h1, h2] = [hours.from.getTime(), hours.to.getTime()];
  const [m1, m2] = [nearestMonth(h1), nearestMonth(h2)];
  const range = (a: number, b: number) => ({ from: new Date(a), to: new Date(b) });
  if (m1 >= m2 || Math.abs(h1 - m1) + Math.abs(h2 - m2) >= h2 - h1) return { months: null, add: [range(h1, h2)], subtract: [] };
  const add = [...(h1 < m1 ? [range(h1, m1)] : []), ...(m2 < h2 ? [range(m2, h2)] : [])];
  const subtract = [...(m1 < h1 ? [range(m1, h1)] : []), ...(h2 < m2 ? [range(h2, m2)] : [])];
  return { months: range(m1, m2), add, subtract };
}

export function planPeriod(p: Period): PeriodPlan {
  const t1 = p.from.getTime();
  const t2 = p.to.getTime();
  const h1 = Math.ceil(t1 / HOUR_MS) * HOUR_MS;
  const h2 = Math.floor(t2 / HOUR_MS) * HOUR_MS;
  if (h1 >= h2) return { hours: null, edges: [{ from: p.from, to: p.to }] };
  const edges = [
    { from: t1, to: h1 },
    { from: h2, to: t2 },
  ]
    .filter((e) => e.to > e.from)
    .map((e) => ({ from: new Date(e.from), to: new Date(e.to) }));
  return { hours: { from: new Date(h1), to: new Date(h2) }, edges };
}
