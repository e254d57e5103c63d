// Group commit over several lanes. Every item belongs to one lane (by its session's ingest bucket, so all
// packets of a session — and of a port — share a lane and are written in arrival order); each lane has at most
// one batch in flight, and a lane that is idle writes what it has at once. While a batch commits, its lane
// gathers the next one, so batches grow with the load and the lanes keep both the daemon and the database busy.
// A barrier item (Accounting-On/Off: it touches every session of a NAS) waits until everything that arrived
// before it is written, runs alone, and only then do the lanes take what arrived after it.
//
// Each item's callback runs once: with its result after its batch committed, or with an error, and then
// nothing may be acknowledged. (Callbacks, not a promise per item: this runs for every packet.)
import { isDataError, isRetryable } from '../db/errors.ts';

export type LaneChoice = number | 'barrier';

export interface LaneOptions<T, R> {
  lanes: number;
  /** Most items one batch takes. */
  maxBatch: number;
  /** Queue bound over all lanes: past it add() refuses, and the NAS retransmits later. */
  maxPending: number;
  /** Writes one batch in one transaction on that lane's connection (a barrier uses lane 0); results in item order. */
  write(items: T[], lane: number): Promise<R[]>;
  /** Called when a database that was unavailable takes writes again, and when it stops doing so. */
  onAvailability?(available: boolean, err?: unknown): void;
  /** Called after every committed batch: how many items, how long its transaction took. */
  onBatch?(size: number, ms: number): void;
  /** Timer for the back-off while the database is unavailable (injected: tests run it by hand). */
  setTimer?(ms: number, fn: () => void): { cancel(): void };
}

export type Done<R> = (err: unknown, result?: R) => void;

export interface LaneBatcher<T, R> {
  /** False (and `done` is never called) when the queue is full or the batcher is draining. */
  add(item: T, lane: LaneChoice, done: Done<R>): boolean;
  /** Writes what is queued and waits for it; later add()s are refused. */
  drain(): Promise<void>;
  readonly pending: number;
  /** Batches in flight now. */
  readonly inFlight: number;
}

/** A packet the database refused on its own (not the database being away): it can never be stored. */
export class UnstorableError extends Error {
  constructor(readonly cause: unknown) {
    super(`ingest: packet cannot be stored: ${describeError(cause)}`);
    this.name = 'UnstorableError';
  }
}

interface Entry<T, R> {
  item: T;
  seq: number;
  done: Done<R>;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
const RETRIES = 3;

const defaultTimer = (ms: number, fn: () => void) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

export function makeLaneBatcher<T, R>(opts: LaneOptions<T, R>): LaneBatcher<T, R> {
  const setTimer = opts.setTimer ?? defaultTimer;
  const queues: Entry<T, R>[][] = Array.from({ length: opts.lanes }, () => []);
  const busy: boolean[] = new Array(opts.lanes).fill(false);
  const barriers: Entry<T, R>[] = [];
  let barrierRunning = false;
  let seq = 0;
  let pending = 0;
  let inFlight = 0;
  let closed = false;
  let backoffMs = 0;
  let backoffTimer: { cancel(): void } | null = null;
  let idleWaiters: (() => void)[] = [];

  /** Items of a lane that may go now: those that arrived before the first waiting barrier. */
  function takeable(lane: number): number {
    const q = queues[lane]!;
    const limit = barriers.length > 0 ? barriers[0]!.seq : Infinity;
    let n = 0;
    while (n < q.length && n < opts.maxBatch && q[n]!.seq < limit) n++;
    return n;
  }

  function pump(): void {
    if (backoffTimer) return;
    if (!barrierRunning) {
      for (let lane = 0; lane < opts.lanes; lane++) {
        if (busy[lane]) continue;
        const n = takeable(lane);
        if (n > 0) run(lane, queues[lane]!.splice(0, n));
      }
      const first = barriers[0];
      if (first && !busy.some(Boolean) && queues.every((q) => q.length === 0 || q[0]!.seq > first.seq)) {
        barriers.shift();
        barrierRunning = true;
        run(null, [first]);
      }
    }
    if (pending === 0 && inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function run(lane: number | null, batch: Entry<T, R>[]): void {
    if (lane === null) barrierRunning = true;
    else busy[lane] = true;
    inFlight += 1;
    pending -= batch.length;
    void writeSplitting(batch, lane ?? 0).finally(() => {
      inFlight -= 1;
      if (lane === null) barrierRunning = false;
      else busy[lane] = false;
      pump();
    });
  }

  async function writeWithRetries(batch: Entry<T, R>[], lane: number): Promise<R[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await opts.write(batch.map((e) => e.item), lane);
      } catch (err) {
        if (isRetryable(err) && attempt < RETRIES) continue;
        throw err;
      }
    }
  }

  // One bad packet must not keep the others from being stored: a batch whose data the database refuses is
  // split in halves until the packet it refuses is alone, and only that one fails. Any other error is the
  // database's state, not a packet's (connection lost, shutting down, out of disk, a bug): nothing is
  // acknowledged, and the batcher backs off and tries again.
  async function writeSplitting(batch: Entry<T, R>[], lane: number): Promise<void> {
    try {
      const started = performance.now();
      const results = await writeWithRetries(batch, lane);
      opts.onBatch?.(batch.length, performance.now() - started);
      for (let i = 0; i < batch.length; i++) batch[i]!.done(null, results[i]);
      if (backoffMs > 0) {
        backoffMs = 0;
        opts.onAvailability?.(true);
      }
    } catch (err) {
      if (!isDataError(err) && !(err instanceof UnstorableError)) {
        enterBackoff(err);
        for (const e of batch) e.done(err);
        return;
      }
      if (batch.length === 1) {
        batch[0]!.done(err instanceof UnstorableError ? err : new UnstorableError(err));
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await writeSplitting(batch.slice(0, half), lane);
      await writeSplitting(batch.slice(half), lane);
    }
  }

  function enterBackoff(err: unknown): void {
    const first = backoffMs === 0;
    backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoffMs * 2));
    if (first) opts.onAvailability?.(false, err);
    if (backoffTimer) return;
    // While the database is away, what is queued is answered by nobody: reject it now (the NASes resend)
    // rather than hold memory; new packets queue up to maxPending and go when the timer fires.
    for (const q of [...queues, barriers]) for (const e of q.splice(0)) e.done(err);
    pending = 0;
    backoffTimer = setTimer(backoffMs, () => {
      backoffTimer = null;
      pump();
    });
  }

  return {
    add(item, lane, done) {
      if (closed || pending >= opts.maxPending) return false;
      const entry = { item, seq: seq++, done };
      if (lane === 'barrier') barriers.push(entry);
      else queues[lane % opts.lanes]!.push(entry);
      pending += 1;
      pump();
      return true;
    },
    async drain() {
      closed = true;
      if (backoffTimer) {
        // Shutting down with the database gone: what is left is not acknowledged; the NASes resend it.
        backoffTimer.cancel();
        backoffTimer = null;
        const err = new Error('ingest: shutting down while the database is unavailable');
        for (const q of [...queues, barriers]) for (const e of q.splice(0)) e.done(err);
        pending = 0;
      }
      if (pending === 0 && inFlight === 0) return;
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        pump();
      });
    },
    get pending() {
      return pending;
    },
    get inFlight() {
      return inFlight;
    },
  };
}

export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string; detail?: string; column?: string; where?: string };
  return [e.code, e.message, e.detail, e.column && `column ${e.column}`].filter(Boolean).join(': ');
}
