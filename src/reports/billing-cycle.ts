// Billing cycles (docs/accounting.md §7 "Billing cycles"): an account may be billed from an anchor day of the
// month (1–28) at local midnight in a time zone of its own, instead of by calendar month. Pure: no I/O.
// A cycle is the half-open interval [day D of a month, day D of the next month), both at local midnight; every
// month has days 1–28, so a cycle never needs clamping. A midnight that a daylight-saving change skips is the end
// of the gap; one that it repeats is the first (the rule of docs/cli.md "Times and values" for dates).
import { DateTime } from 'luxon';
import { currentMonth, type Period } from './period.ts';

export const MIN_CYCLE_DAY = 1;
export const MAX_CYCLE_DAY = 28;

export interface BillingCycle {
  /** The anchor day of the month, 1–28. */
  day: number;
  /** IANA zone (or UTC) whose midnights bound the cycle. */
  zone: string;
}

export type CycleWhich = 'current' | 'previous';

/** The first instant of a local day in `zone`: the gap's end if midnight is skipped, the first if it repeats. */
function localMidnight(year: number, month: number, day: number, zone: string): DateTime {
  const dt = DateTime.fromObject({ year, month, day }, { zone });
  const [first] = dt
    .getPossibleOffsets()
    .filter((c) => c.hour === 0 && c.minute === 0 && c.day === day)
    .sort((a, b) => a.toMillis() - b.toMillis());
  return first ?? dt;
}

/** The year and month `n` months after (or before, n < 0) the given one. */
function addMonths(year: number, month: number, n: number): { year: number; month: number } {
  const index = year * 12 + (month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

function cycleStart(cycle: BillingCycle, ym: { year: number; month: number }): DateTime {
  return localMidnight(ym.year, ym.month, cycle.day, cycle.zone);
}

/** The cycle containing the instant `at` ('current'), or the one before it ('previous'), as a period [from, to). */
export function cycleWindow(cycle: BillingCycle, at: Date, which: CycleWhich = 'current'): Period {
  if (!Number.isInteger(cycle.day) || cycle.day < MIN_CYCLE_DAY || cycle.day > MAX_CYCLE_DAY) {
    throw new RangeError(`billing cycle day ${cycle.day} is not a day from ${MIN_CYCLE_DAY} to ${MAX_CYCLE_DAY}`);
  }
  const local = DateTime.fromJSDate(at, { zone: cycle.zone });
  if (!local.isValid) throw new RangeError(`billing cycle zone "${cycle.zone}" is not a time zone`);
  let ym: { year: number; month: number } = { year: local.year, month: local.month };
  if (cycleStart(cycle, ym).toMillis() > at.getTime()) ym = addMonths(ym.year, ym.month, -1);
  if (which === 'previous') ym = addMonths(ym.year, ym.month, -1);
  const from = cycleStart(cycle, ym);
  const to = cycleStart(cycle, addMonths(ym.year, ym.month, 1));
  return { from: from.toJSDate(), to: to.toJSDate(), zone: cycle.zone };
}

/** What an account stores about its cycle; both null for calendar months in the zone the report is asked in. */
export interface AccountCycle {
  cycle_day: number | null;
  cycle_tz: string | null;
}

/**
 * The billing period of an account at `now`: its own cycle when it has an anchor day, else the calendar month
 * (as `--period` reads it), in its cycle zone if it has one, else in `defaultZone` (the report's --tz).
 */
export function accountPeriod(account: AccountCycle, now: Date, which: CycleWhich, defaultZone = 'UTC'): Period {
  const zone = account.cycle_tz ?? defaultZone;
  if (account.cycle_day !== null) return cycleWindow({ day: account.cycle_day, zone }, now, which);
  const current = currentMonth(now, zone);
  return which === 'current' ? current : currentMonth(new Date(current.from.getTime() - 1), zone);
}
