// Output formats of docs/cli.md "Output": an aligned table for people, one JSON document or CSV for scripts.
import { DateTime } from 'luxon';

export const FORMATS = ['table', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** A column: the field name (snake_case, as in json/csv), or that with a table header and cell text. */
export type Column<T> =
  | (keyof T & string)
  | {
      key: keyof T & string;
      /** Header in the table (default: the key). json/csv always use the key. */
      header?: string;
      /** Cell text in the table (default: formatValue). */
      show?: (value: T[keyof T & string], row: T) => string;
      /** false: json/csv only, left out of the table to keep it narrow. */
      inTable?: boolean;
    };

export interface OutputOptions {
  /** IANA zone for times in table and csv; json always uses UTC with `Z` (docs/cli.md). */
  tz?: string;
  /** Table only: what to print when there are no rows. */
  empty?: string;
  out?: NodeJS.WritableStream;
}

interface ColumnDef<T> {
  key: keyof T & string;
  header: string;
  show?: (value: T[keyof T & string], row: T) => string;
  inTable: boolean;
}

function columnDef<T>(c: Column<T>): ColumnDef<T> {
  if (typeof c === 'string') return { key: c, header: c, inTable: true };
  return { key: c.key, header: c.header ?? c.key, show: c.show, inTable: c.inTable ?? true };
}

/** A time as ISO 8601: UTC with `Z`, or in `tz` with its offset. Whole seconds are shown without milliseconds. */
export function formatTime(d: Date, tz?: string): string {
  if (!tz || tz === 'UTC') return d.toISOString().replace('.000Z', 'Z');
  return DateTime.fromJSDate(d, { zone: tz }).toISO({ suppressMilliseconds: true }) ?? d.toISOString();
}

/** A value as text for table and csv cells. */
export function formatValue(value: unknown, tz?: string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return formatTime(value, tz);
  if (Array.isArray(value)) return value.map((v) => formatValue(v, tz)).join(',');
  if (typeof value === 'object') return toJson(value, false);
  return String(value);
}

/**
 * JSON text for a value: bigint as a bare integer (counters are 64-bit; JSON.stringify throws on bigint
 * and a string would break numeric consumers), Date as ISO 8601 UTC with `Z`, undefined fields left out.
 */
export function toJson(value: unknown, pretty = true, indent = ''): string {
  const inner = pretty ? indent + '  ' : '';
  const nl = pretty ? '\n' : '';
  const sep = pretty ? ': ' : ':';
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(formatTime(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${nl}${value.map((v) => inner + toJson(v, pretty, inner)).join(`,${nl}`)}${nl}${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
    if (entries.length === 0) return '{}';
    const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}${sep}${toJson(v, pretty, inner)}`).join(`,${nl}`);
    return `{${nl}${body}${nl}${indent}}`;
  }
  return 'null';
}

/** One CSV field, quoted per RFC 4180 when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\n';
}

const isNumeric = (v: unknown) => typeof v === 'bigint' || typeof v === 'number';

/** Rows as an aligned text table with a header; numbers are right-aligned. */
export function renderTable(headers: readonly string[], cells: readonly (readonly string[])[], rightAligned: readonly boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (fields: readonly string[]) =>
    fields
      .map((f, i) => (rightAligned[i] ? f.padStart(widths[i]!) : f.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd() + '\n';
  return line(headers) + cells.map(line).join('');
}

/** Prints a listing: json = one array of objects with exactly `columns`; csv = header + rows; table = the table columns. */
export function printRows<T extends object>(rows: readonly T[], columns: readonly Column<T>[], format: Format, opts: OutputOptions = {}): void {
  const out = opts.out ?? process.stdout;
  const defs = columns.map(columnDef);
  if (format === 'json') {
    out.write(toJson(rows.map((r) => Object.fromEntries(defs.map((d) => [d.key, r[d.key] ?? null])))) + '\n');
    return;
  }
  if (format === 'csv') {
    out.write(csvLine(defs.map((d) => d.key)) + rows.map((r) => csvLine(defs.map((d) => formatValue(r[d.key], opts.tz)))).join(''));
    return;
  }
  if (rows.length === 0) {
    out.write(`${opts.empty ?? '(none)'}\n`);
    return;
  }
  const shown = defs.filter((d) => d.inTable);
  const cells = rows.map((r) => shown.map((d) => (d.show ? d.show(r[d.key], r) : formatValue(r[d.key], opts.tz)) || '-'));
  const right = shown.map((d) => rows.some((r) => isNumeric(r[d.key])));
  out.write(renderTable(shown.map((d) => d.header), cells, right));
}

/** Prints one object (a summary): json = the object; csv = header + one row; table = "key  value" lines. */
export function printObject(obj: Record<string, unknown>, format: Format, opts: OutputOptions = {}): void {
  const out = opts.out ?? process.stdout;
  if (format === 'json') {
    out.write(toJson(obj) + '\n');
    return;
  }
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  if (format === 'csv') {
    out.write(csvLine(keys) + csvLine(keys.map((k) => formatValue(obj[k], opts.tz))));
    return;
  }
  const width = Math.max(0, ...keys.map((k) => k.length));
  out.write(keys.map((k) => `${k.padEnd(width)}  ${formatValue(obj[k], opts.tz) || '-'}\n`).join(''));
}

/** A confirmation for people ("added NAS 10.0.0.1"): on stdout in table format; json/csv print the data instead. */
export function printMessage(message: string, format: Format, out: NodeJS.WritableStream = process.stdout): void {
  if (format === 'table') out.write(message + '\n');
}

/**
 * A warning for people: one line on stderr. Print it once the command has done its work, so that a failure
 * still leaves only its one error line (docs/cli.md "Exit status").
 */
export function warn(message: string, err: NodeJS.WritableStream = process.stderr): void {
  err.write(`radtrack: warning: ${message}\n`);
}

/** Progress for long commands: stderr, only on a terminal and only in table format (never mixes into json/csv). */
export function progress(message: string, format: Format): void {
  if (format === 'table' && process.stderr.isTTY) process.stderr.write(message + '\n');
}

/** Human-friendly cells for tables. */
export function showDuration(seconds: unknown): string {
  if (seconds === null || seconds === undefined) return '';
  let s = Number(seconds);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** Bytes with a decimal unit (1 GB = 10⁹ B), as billing counts them. */
export function showBytes(bytes: unknown): string {
  if (bytes === null || bytes === undefined) return '';
  let n = Number(bytes);
  let u = 0;
  while (n >= 1000 && u < BYTE_UNITS.length - 1) {
    n /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${BYTE_UNITS[u]}`;
}

/** "1 session", "12 sessions". */
export function countOf(n: bigint | number, noun: string): string {
  return `${n} ${noun}${n === 1n || n === 1 ? '' : 's'}`;
}
