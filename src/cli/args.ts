// Parsers for option values. Each throws a UsageError (exit 2) that names the flag and shows a valid example,
// so yargs `coerce` can use them directly.
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { DateTime, IANAZone } from 'luxon';
import { MAX_CYCLE_DAY, MIN_CYCLE_DAY } from '../reports/billing-cycle.ts';
import { UsageError } from './errors.ts';

// A calendar date, or a date and time with an optional offset. luxon's fromISO alone also takes week dates,
// ordinal dates and bare times ("10:00" = today), which are too surprising for billing windows.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

// Offsets in use run from -12:00 to +14:00 (Pacific/Kiritimati). luxon takes any two digits and shifts the time,
// so a typo like +41:00 for +14:00 would move a billing bound by days. ±14:00 refuses no real clock; a wider
// limit such as ±18:00 would only let more typos through.
const MAX_OFFSET_MINUTES = 14 * 60;

function isOffsetInRange(offset: string): boolean {
  const m = /^[+-](\d{2}):?(\d{2})?$/.exec(offset);
  if (!m) return true; // Z
  const minutes = Number(m[2] ?? 0);
  return minutes < 60 && Number(m[1]) * 60 + minutes <= MAX_OFFSET_MINUTES;
}

const localText = (dt: DateTime) => dt.toISO({ includeOffset: false, suppressMilliseconds: true });
const withOffset = (dt: DateTime) => dt.toISO({ suppressMilliseconds: true, suppressSeconds: true });

/**
 * An ISO 8601 date or time; one without an offset is read in `zone` (default UTC). A date is the first instant of
 * that day. A local date and time that a daylight-saving change skips (a gap) or repeats (an overlap) is refused
 * rather than moved or guessed: for a billing bound, an hour off is worse than asking for the offset.
 */
export function parseTime(value: string, flag: string, zone = 'UTC'): Date {
  const text = String(value).trim();
  const m = ISO_TIME.exec(text);
  const iso = text.replace(' ', 'T');
  const dt = m ? DateTime.fromISO(iso, { zone }) : null;
  if (!m || !dt || !dt.isValid) {
    throw new UsageError(`${flag}: "${value}" is not a date; use ISO 8601 like 2026-11-20T10:00:00Z or 2026-11-20`);
  }
  const offset = m[1];
  if (offset !== undefined) {
    if (!isOffsetInRange(offset)) {
      throw new UsageError(`${flag}: "${value}" has offset ${offset}; offsets run from -14:00 to +14:00 with minutes below 60, like +02:00 or -05:30`);
    }
    return dt.toJSDate();
  }
  // The wall-clock time as written, and the instants in `zone` that show it (none in a gap, two in an overlap).
  const wall = localText(DateTime.fromISO(iso, { zone: 'UTC' }));
  const [first, second] = dt
    .getPossibleOffsets()
    .filter((c) => localText(c) === wall)
    .sort((a, b) => a.toMillis() - b.toMillis());
  if (!/[Tt ]/.test(text)) {
    // A day that begins in a gap begins when the gap ends (dt); one whose midnight repeats, at the first one.
    return (first ?? dt).toJSDate();
  }
  if (!first) {
    throw new UsageError(
      `${flag}: "${value}" does not exist in ${zone} (the clocks skip it, as when daylight saving starts); give a time outside the gap or an offset, like ${withOffset(dt)}`,
    );
  }
  if (second) {
    throw new UsageError(
      `${flag}: "${value}" happens twice in ${zone} (the clocks go back); add the offset: ${withOffset(first)} for the first, ${withOffset(second)} for the second`,
    );
  }
  return first.toJSDate();
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Inclusive bounds for a duration flag, in seconds. */
export interface DurationRange {
  minSeconds: number;
  maxSeconds: number;
}

/** Seconds, or a duration like `90m`, `100h`, `30d`, `1h30m`; must be positive, and within `range` if given. */
export function parseDuration(value: string | number, flag: string, range?: DurationRange): number {
  const text = String(value).trim().toLowerCase();
  let seconds: number | null = null;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else if (/^(\d+[smhdw])+$/.test(text)) {
    seconds = 0;
    for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) seconds += Number(n) * DURATION_UNITS[unit!]!;
  }
  const notDuration = () =>
    new UsageError(`${flag}: "${value}" is not a duration; use seconds or a number with s, m, h, d or w, like 3600, 90m, 100h, 30d`);
  if (seconds === null) throw notDuration();
  if (range) {
    if (!(seconds >= range.minSeconds && seconds <= range.maxSeconds)) {
      const inSeconds = /^\d+$/.test(text) || !Number.isSafeInteger(seconds) ? '' : ` (${seconds} s)`;
      throw new UsageError(`${flag}: "${value}"${inSeconds} is out of range; use ${describeRange(range)}`);
    }
  } else if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw notDuration();
  }
  return seconds;
}

/** "1 s to 86400 s (1d)": the bounds as help texts and errors show them. */
export function describeRange(range: DurationRange): string {
  const unit = ['w', 'd', 'h', 'm'].find((u) => range.maxSeconds % DURATION_UNITS[u]! === 0);
  const human = unit ? ` (${range.maxSeconds / DURATION_UNITS[unit]!}${unit})` : '';
  return `${range.minSeconds} s to ${range.maxSeconds} s${human}`;
}

const SIZE_UNITS: Record<string, bigint> = {
  b: 1n,
  kb: 10n ** 3n,
  mb: 10n ** 6n,
  gb: 10n ** 9n,
  tb: 10n ** 12n,
  pb: 10n ** 15n,
  kib: 2n ** 10n,
  mib: 2n ** 20n,
  gib: 2n ** 30n,
  tib: 2n ** 40n,
  pib: 2n ** 50n,
};

/** Bytes, or a size with a decimal (`500MB` = 500·10⁶) or binary (`1TiB` = 2⁴⁰) unit; must be a positive whole number of bytes. */
export function parseSize(value: string | number, flag: string): bigint {
  const text = String(value).trim();
  const m = /^(\d+)(?:\.(\d+))?\s*([kmgtp]i?b|b)?$/i.exec(text);
  const bad = () =>
    new UsageError(`${flag}: "${value}" is not a size; use bytes or a number with a unit, like 500MB, 10GB, 1TiB (KB/MB/GB/TB decimal, KiB/MiB/GiB/TiB binary)`);
  if (!m) throw bad();
  const [, whole, fraction = '', unit = 'b'] = m;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole!) * scale + BigInt(fraction || '0')) * SIZE_UNITS[unit.toLowerCase()]!;
  if (scaled % scale !== 0n || scaled === 0n) throw bad();
  return scaled / scale;
}

/** An IANA time zone name such as `Europe/Berlin`, or `UTC`. */
export function parseZone(value: string, flag = '--tz'): string {
  const text = String(value).trim();
  if (text.toUpperCase() === 'UTC' || text.toUpperCase() === 'Z') return 'UTC';
  if (!IANAZone.isValidZone(text)) {
    throw new UsageError(`${flag}: "${value}" is not a time zone; use an IANA name like Europe/Berlin or America/New_York, or UTC`);
  }
  return text;
}

/** A billing-cycle anchor day of the month, 1 to 28 (every month has it). */
export function parseCycleDay(value: string | number, flag: string): number {
  const text = String(value).trim();
  const n = /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  if (!(n >= MIN_CYCLE_DAY && n <= MAX_CYCLE_DAY)) {
    throw new UsageError(`${flag}: "${value}" is not a day from ${MIN_CYCLE_DAY} to ${MAX_CYCLE_DAY}; a cycle anchored on the 29th to 31st would miss short months, so use 28 or 1`);
  }
  return n;
}

/** An IPv4 or IPv6 address (no prefix length). */
export function parseIp(value: string, flag: string): string {
  const text = String(value).trim();
  if (isIP(text) === 0) throw new UsageError(`${flag}: "${value}" is not an IP address; use IPv4 like 192.0.2.10 or IPv6 like 2001:db8::1`);
  return text;
}

/** A positive whole number, e.g. for --limit. */
export function parsePositiveInt(value: string | number, flag: string): number {
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag}: "${value}" is not a positive whole number`);
  return n;
}

/**
 * A NAS secret from --secret-file or --secret (one of them), else, when `env` is given, RADTRACK_NAS_SECRET: the
 * file and the environment keep it off the command line. A trailing newline in the file is not part of the secret.
 */
export function resolveSecret(opts: { secret?: string; secretFile?: string }, env?: NodeJS.ProcessEnv): string | undefined {
  if (opts.secret !== undefined && opts.secretFile !== undefined) {
    throw new UsageError('give either --secret or --secret-file, not both');
  }
  if (opts.secretFile !== undefined) {
    let secret: string;
    try {
      secret = readFileSync(opts.secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new UsageError(`--secret-file: cannot read "${opts.secretFile}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (secret.length === 0) throw new UsageError(`--secret-file: "${opts.secretFile}" is empty; write the NAS secret into it`);
    return secret;
  }
  if (opts.secret !== undefined) {
    if (opts.secret.length === 0) throw new UsageError('--secret is empty; give the NAS secret, better with --secret-file');
    return opts.secret;
  }
  const fromEnv = env?.RADTRACK_NAS_SECRET;
  if (fromEnv !== undefined && fromEnv.length === 0) throw new UsageError('RADTRACK_NAS_SECRET is empty; set it to the NAS secret or unset it');
  return fromEnv;
}
