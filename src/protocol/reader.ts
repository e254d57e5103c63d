// Bounds-checked cursor. Unauthenticated bytes reach the parser before any signature check
// (RFC 2865 §3), so every read reports "not enough bytes" as undefined instead of throwing.
export class ByteReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.end = Math.min(end, buf.length);
    this.pos = Math.min(start, this.end);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.buf[this.pos++];
  }

  u16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  bytes(count: number): Buffer | undefined {
    if (count < 0 || this.remaining < count) return undefined;
    const value = this.buf.subarray(this.pos, this.pos + count);
    this.pos += count;
    return value;
  }
}
