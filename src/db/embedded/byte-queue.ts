/**
 * The bytes a client sent that are not yet a whole message, kept as the chunks that arrived. Joining
 * them on every chunk (Buffer.concat) copies a message once per chunk, quadratic in its size; here each
 * byte is copied at most once, when its message is complete and taken.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already taken. */
  private offset = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The big-endian int32 at `at`; the caller has checked that `length >= at + 4`. */
  int32At(at: number): number {
    const first = this.chunks[0];
    if (first.length - this.offset >= at + 4) return first.readInt32BE(this.offset + at);
    return this.copy(at + 4, false).readInt32BE(at);
  }

  /** Removes the first `n` bytes (n <= length) and returns them. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      this.length -= n;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
      return out;
    }
    return this.copy(n, true);
  }

  private copy(n: number, consume: boolean): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let index = 0;
    let offset = this.offset;
    while (filled < n) {
      const chunk = this.chunks[index];
      const count = Math.min(chunk.length - offset, n - filled);
      chunk.copy(out, filled, offset, offset + count);
      filled += count;
      offset += count;
      if (offset === chunk.length) {
        index++;
        offset = 0;
      }
    }
    if (consume) {
      this.chunks.splice(0, index); // once per message, not once per chunk
      this.offset = offset;
      this.length -= n;
    }
    return out;
  }
}
