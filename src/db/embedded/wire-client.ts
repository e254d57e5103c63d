// One client connection of the embedded wire server: its unframed bytes, its queued cycles, and how
// it is closed.
import type { Socket } from 'node:net';
import { ByteQueue } from './byte-queue.ts';

export type Work = { kind: 'cycle'; messages: Buffer[]; bytes: number } | { kind: 'rollback' };

/** How long a client we end may take to read our last message before its socket is destroyed anyway. */
const LAST_WORDS_MS = 1000;

/** Sends `last` (if any) and closes; a peer that does not read cannot keep the socket, or stop(), waiting. */
export function endSocket(socket: Socket, last?: Buffer): void {
  const timer = setTimeout(() => socket.destroy(), LAST_WORDS_MS);
  timer.unref();
  const destroy = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  if (last) socket.end(last, destroy);
  else socket.end(destroy);
}

export class Client {
  readonly input = new ByteQueue();
  started = false;
  partial: Buffer[] = [];
  partialBytes = 0;
  work: Work[] = [];
  /** Bytes of the cycles in `work`; reading stops (the socket is paused) while it exceeds MAX_QUEUED_BYTES. */
  queuedBytes = 0;
  paused = false;
  closed = false;
  constructor(readonly socket: Socket) {}
}
