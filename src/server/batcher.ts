// Group commit: packets queue up while one batch is being written; the next batch takes all of them (up to
// maxSize). Each add() resolves only after its batch committed, or rejects, and then nothing is acknowledged.
import type { Logger } from '../log.ts';
import { isRetryable, isUnavailable } from '../db/errors.ts';

export interface BatcherOptions<T, R> {
  /** Write a batch in one transaction; results in the same order. */
  write(items: T[]): Promise<R[]>;
  maxSize: number;
  maxDelayMs: number;
  /** Queue bound: past it add() refuses, and the NAS retransmits later (bounded memory while the DB is down). */
  maxPending: number;
  log: Logger;
}

export interface Batcher<T, R> {
  /** Null when the queue is full. */
  add(item: T): Promise<R> | null;
  /** Writes what is queued and waits for it; later add()s are refused. */
  drain(): Promise<void>;
  readonly pending: number;
}

interface Entry<T, R> {
  item: T;
  resolve(r: R): void;
  reject(e: unknown): void;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export function makeBatcher<T, R>(opts: BatcherOptions<T, R>): Batcher<T, R> {
  let queue: Entry<T, R>[] = [];
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let backoffMs = 0;
  let closed = false;

  const schedule = (delay: number) => {
    if (timer || writing || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = null;
      writing = flush().finally(() => {
        writing = null;
        schedule(queue.length >= opts.maxSize ? backoffMs : Math.max(backoffMs, opts.maxDelayMs));
      });
    }, delay);
  };

  async function writeEntries(batch: Entry<T, R>[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await opts.write(batch.map((e) => e.item));
        batch.forEach((e, i) => e.resolve(results[i]));
        return;
      } catch (err) {
        if (isRetryable(err) && attempt < 3) continue;
        throw err;
      }
    }
  }

  async function flush(): Promise<void> {
    const batch = queue.splice(0, opts.maxSize);
    if (batch.length === 0) return;
    try {
      await writeEntries(batch);
      if (backoffMs > 0) opts.log.info('ingest: database writes succeed again');
      backoffMs = 0;
    } catch (err) {
      if (isUnavailable(err)) {
        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoffMs * 2));
        opts.log.warn(`ingest: database unavailable (${describe(err)}); ${batch.length} packets not acknowledged, retrying in ${backoffMs} ms`);
        for (const e of batch) e.reject(err);
        return;
      }
      // One bad packet must not block the others: write them one by one, so only it fails.
      opts.log.error(`ingest: batch of ${batch.length} failed (${describe(err)}); writing its packets one by one`);
      for (const e of batch) {
        await writeEntries([e]).catch((one: unknown) => {
          opts.log.error(`ingest: packet not stored (${describe(one)})`);
          e.reject(one);
        });
      }
    }
  }

  return {
    add(item) {
      if (closed || queue.length >= opts.maxPending) return null;
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= opts.maxSize && timer && backoffMs === 0) {
          clearTimeout(timer);
          timer = null;
          schedule(0);
        } else schedule(Math.max(backoffMs, opts.maxDelayMs));
      });
    },
    async drain() {
      closed = true;
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      while (writing || queue.length > 0) {
        if (writing) await writing;
        else {
          writing = flush().finally(() => (writing = null));
          await writing;
        }
        if (backoffMs > 0 && queue.length > 0) {
          // Shutting down with the database gone: what is left is not acknowledged; the NASes resend it.
          for (const e of queue.splice(0)) e.reject(new Error('ingest: shutting down while the database is unavailable'));
        }
      }
    },
    get pending() {
      return queue.length;
    },
  };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message?.split('\n')[0]].filter(Boolean).join(' ');
}
