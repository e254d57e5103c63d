// PostgreSQL's binary wire format for arrays of composite rows (array_recv / record_recv), so an ingest batch
// travels as a handful of parameters that the server reads without parsing text: measured on this machine,
// 5.8 µs of backend CPU per journal row against 12.0 µs for the same rows as JSON (bench/README.md).
// node-postgres sends a Buffer parameter in binary format; the SQL casts it to the composite array type.
//
// This runs for every packet, so it writes bytes by hand into one reused buffer (Buffer's write methods and
// BigInt conversions cost more than the rest of a row): about 0.5 µs per session row.

/** The column types radtrack's composite rows use, with their built-in type OIDs (pg_type.dat). */
export const PG_TYPE = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int4: 23,
  text: 25,
  float8: 701,
  inet: 869,
  timestamptz: 1184,
  textArray: 1009,
} as const;

export type ColumnType = keyof typeof PG_TYPE;

/** Values per column type; null is SQL NULL. */
export type ColumnValue = bigint | number | boolean | string | Buffer | Date | readonly string[] | null;

// PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC.
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 4_294_967_296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const PGSQL_AF_INET = 2; // PostgreSQL's own code for IPv4 in inet_recv (AF_INET + 0)

/** A growable byte buffer with the few big-endian writes the formats need. */
class Writer {
  buf = new Uint8Array(256 * 1024);
  at = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  int32(v: number): void {
    this.room(4);
    const b = this.buf;
    const at = this.at;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v;
    this.at = at + 4;
  }

  /** Reserves a 4-byte length slot; returns its offset for `endLength`. */
  beginLength(): number {
    this.int32(0);
    return this.at;
  }

  endLength(start: number): void {
    const n = this.at - start;
    const b = this.buf;
    b[start - 4] = n >>> 24;
    b[start - 3] = n >>> 16;
    b[start - 2] = n >>> 8;
    b[start - 1] = n;
  }

  /** Exact for every value: numbers must be integers below 2^53, bigints may use all 64 bits. */
  int64(v: bigint | number): void {
    if (typeof v === 'bigint') {
      if (v > MAX_SAFE || v < -MAX_SAFE) {
        this.room(8);
        this.scratch.setBigInt64(0, v);
        for (let i = 0; i < 8; i++) this.buf[this.at + i] = this.scratch.getUint8(i);
        this.at += 8;
        return;
      }
      v = Number(v);
    }
    const high = Math.floor(v / TWO_32);
    this.int32(high | 0);
    this.int32((v - high * TWO_32) >>> 0);
  }

  float64(v: number): void {
    this.room(8);
    this.scratch.setFloat64(0, v);
    for (let i = 0; i < 8; i++) this.buf[this.at + i] = this.scratch.getUint8(i);
    this.at += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  utf8(s: string): void {
    this.room(s.length * 3);
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII (rare: RADIUS text is nearly always ASCII): let Buffer encode the whole string.
        this.at += Buffer.from(b.buffer, b.byteOffset, b.length).write(s, this.at, 'utf8');
        return;
      }
      b[at++] = c;
    }
    this.at = at;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }

  /** The bytes written, as a Buffer of their own (the writer's buffer is reused by the next encode). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    out.set(this.buf.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

const writer = new Writer();

function writeValue(w: Writer, type: ColumnType, value: ColumnValue): void {
  if (value === null) {
    w.int32(-1);
    return;
  }
  const start = w.beginLength();
  switch (type) {
    case 'bool':
      w.u8(value ? 1 : 0);
      break;
    case 'int4':
      w.int32(value as number);
      break;
    case 'int8':
      w.int64(value as bigint | number);
      break;
    case 'float8':
      w.float64(value as number);
      break;
    case 'timestamptz':
      w.int64(((value as Date).getTime() - PG_EPOCH_MS) * 1000);
      break;
    case 'text':
      w.utf8(value as string);
      break;
    case 'bytea':
      w.bytes(value as Buffer);
      break;
    case 'inet':
      writeInet(w, value as string);
      break;
    case 'textArray':
      writeArrayBody(w, PG_TYPE.text, value as readonly string[], (s) => writeValue(w, 'text', s));
      break;
  }
  w.endLength(start);
}

// inet_recv: family, bits, is_cidr, address length, address. radtrack stores only IPv4 here
// (Framed-IP-Address is IPv4, RFC 2865 §5.8).
function writeInet(w: Writer, address: string): void {
  const parts = address.split('.');
  if (parts.length !== 4) throw new RangeError(`binary: "${address}" is not an IPv4 address`);
  w.u8(PGSQL_AF_INET);
  w.u8(32);
  w.u8(0);
  w.u8(4);
  for (const part of parts) {
    const p = Number(part);
    if (!(p >= 0 && p <= 255)) throw new RangeError(`binary: "${address}" is not an IPv4 address`);
    w.u8(p);
  }
}

function writeArrayBody<T>(w: Writer, elementOid: number, elements: readonly T[], writeElement: (e: T) => void): void {
  w.int32(elements.length === 0 ? 0 : 1); // dimensions
  w.int32(0); // has-nulls flag; array_recv works it out itself
  w.int32(elementOid);
  if (elements.length === 0) return;
  w.int32(elements.length);
  w.int32(1); // lower bound
  for (const e of elements) writeElement(e);
}

/** A composite type as the database knows it: its OID (looked up per database) and its column types. */
export interface CompositeType {
  oid: number;
  columns: readonly ColumnType[];
}

/** `rows` as the binary value of a `compositeType[]` parameter. */
export function encodeCompositeArray(type: CompositeType, rows: readonly (readonly ColumnValue[])[]): Buffer {
  const w = writer;
  const { columns } = type;
  writeArrayBody(w, type.oid, rows, (row) => {
    if (row.length !== columns.length) throw new RangeError(`binary: row of ${row.length} values for ${columns.length} columns`);
    const start = w.beginLength();
    w.int32(columns.length);
    for (let i = 0; i < columns.length; i++) {
      w.int32(PG_TYPE[columns[i]!]);
      writeValue(w, columns[i]!, row[i]!);
    }
    w.endLength(start);
  });
  return w.take();
}

/** One-dimensional array of a built-in type, e.g. bigint[] for a list of ids. */
export function encodeArray(type: ColumnType, values: readonly ColumnValue[]): Buffer {
  const w = writer;
  writeArrayBody(w, PG_TYPE[type], values, (v) => writeValue(w, type, v));
  return w.take();
}
