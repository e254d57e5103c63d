// One PGlite instance, run a protocol message at a time, and whether it is still usable.
//
// PGlite is PostgreSQL in one process. Where PostgreSQL would PANIC and restart (a WAL write that fails
// on a full or broken disk), PGlite answers the ErrorResponse and goes on, broken: every later message
// fails with another PANIC and no ReadyForQuery, and its exec() spins forever. So any PANIC or FATAL,
// any exception, and any cycle that does not end with ReadyForQuery means the backend is lost: nothing
// more may run on it, and only a new instance opened from the files (crash recovery) can serve again.
import type { PGlite } from '@electric-sql/pglite';
import { finalError, finalReadyStatus, queryMessage, type TransactionStatus } from './messages.ts';

/** Enough of the end of PGlite's output to hold its last ErrorResponse (they run to a few hundred bytes). */
const TAIL_BYTES = 4096;
const LOST_SEVERITIES = new Set(['PANIC', 'FATAL']);

export type RunResult = { lost: string } | { lost: null; ready: TransactionStatus | null };

function keepTail(tail: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= TAIL_BYTES) return Buffer.from(chunk.subarray(-TAIL_BYTES));
  return Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
}

export class Backend {
  constructor(private readonly db: PGlite) {}

  isInTransaction(): boolean {
    return this.db.isInTransaction();
  }

  /** Runs one message, handing what PGlite writes to `onData`; says whether it ended on ReadyForQuery. */
  async run(message: Buffer, onData: (chunk: Buffer) => void): Promise<RunResult> {
    let tail: Buffer = Buffer.alloc(0);
    try {
      await this.db.execProtocolRawStream(message, {
        onRawData: (data) => {
          // A view into PGlite's memory, reused by the next chunk: copy it before the socket queues it.
          const chunk = Buffer.from(data);
          tail = keepTail(tail, chunk);
          onData(chunk);
        },
      });
    } catch (err) {
      return { lost: `PGlite failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const error = finalError(tail);
    if (error && LOST_SEVERITIES.has(error.severity)) return { lost: `${error.severity} ${error.sqlstate}: ${error.message}` };
    return { lost: null, ready: finalReadyStatus(tail) };
  }

  /** Rolls back what a vanished client left open; the reason if that lost the backend. */
  async rollback(): Promise<string | null> {
    if (!this.db.isInTransaction()) return null;
    const result = await this.run(queryMessage('ROLLBACK'), () => undefined);
    if (result.lost !== null) return result.lost;
    return result.ready === 'I' ? null : 'ROLLBACK did not end the transaction';
  }
}
