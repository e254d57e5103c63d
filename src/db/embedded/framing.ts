// Cuts a client's bytes into startup packets and messages, checking every Length before anything waits
// for or allocates it: a client must not be able to make the server loop, or hold unbounded memory.
import type { ByteQueue } from './byte-queue.ts';

/** A startup packet's Length, as PostgreSQL checks it: the Length and code words, at most 10,000 bytes. */
const MIN_STARTUP_LENGTH = 8;
const MAX_STARTUP_LENGTH = 10_000;
/** A message's Length counts itself (4 bytes) but not the type byte. */
const MIN_MESSAGE_LENGTH = 4;
/**
 * PostgreSQL accepts messages up to 1 GB, but here a message is held in this worker, then copied into
 * PGlite's 32-bit WASM heap, which every client shares: one client must not be able to exhaust it. Our
 * largest statements (a batch of 500 accounting rows as one JSON parameter) are well under 1 MB.
 */
export const MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;

export type Frame =
  | { kind: 'startup'; packet: Buffer; code: number }
  | { kind: 'message'; message: Buffer }
  | { kind: 'violation'; sqlstate: string; reason: string };

/** The next whole frame at the front of `input` (taken from it), or null while more bytes are needed. */
export function nextFrame(input: ByteQueue, started: boolean): Frame | null {
  if (!started) {
    if (input.length < 4) return null;
    const length = input.int32At(0);
    if (length < MIN_STARTUP_LENGTH || length > MAX_STARTUP_LENGTH) {
      return { kind: 'violation', sqlstate: '08P01', reason: `invalid length of startup packet: ${length}` };
    }
    if (input.length < length) return null;
    const packet = input.take(length);
    return { kind: 'startup', packet, code: packet.readInt32BE(4) };
  }
  if (input.length < 5) return null;
  const length = input.int32At(1);
  if (length < MIN_MESSAGE_LENGTH) return { kind: 'violation', sqlstate: '08P01', reason: `invalid message length: ${length}` };
  if (length > MAX_MESSAGE_LENGTH) {
    return { kind: 'violation', sqlstate: '08P01', reason: `message of ${length} bytes is over the limit of ${MAX_MESSAGE_LENGTH}` };
  }
  if (input.length < 1 + length) return null;
  return { kind: 'message', message: input.take(1 + length) };
}
