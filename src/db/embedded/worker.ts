// Runs in a worker thread: PGlite executes queries synchronously in WASM, so it must not share
// the event loop with the UDP socket. It serves the PostgreSQL wire protocol on a unix socket.
//
// When its PGlite instance is lost (see backend.ts), this thread closes the instance's files and ends;
// the host starts a fresh one, which opens the files again (crash recovery) and retries until it can
// (the disk has room again). A fresh thread, because a lost instance's memory is never freed (about
// 160 MB per loss, measured), while a failed open frees everything.
import { closeSync, chmodSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { FromWorker, WorkerInput } from './host.ts';
import { makeOwnerOnlyDir, repairOwnerOnly, restrictModesInThisThread } from './owner-only.ts';
import { WireServer } from './wire-server.ts';

const input = workerData as WorkerInput;
const post = (msg: FromWorker) => parentPort!.postMessage(msg);
const stopping = new AbortController();
const socketPath = join(input.socketDir, '.s.PGSQL.5432');
const server = new WireServer(lose, input.idleInTransactionMs);
let opening: Promise<PGlite | null> = Promise.resolve(null);
let lost = false;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Why PGlite may fail to open: PGlite itself only says "failed to initialize properly". */
function storageState(dir: string): string {
  try {
    const probe = join(dir, '.radtrack-write-probe');
    writeFileSync(probe, 'x');
    unlinkSync(probe);
    const { bavail, bsize } = statfsSync(dir);
    return `${Math.floor((bavail * bsize) / 2 ** 20)} MB free in ${dir}`;
  } catch (err) {
    return `cannot write in ${dir}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`;
  }
}

/** Everything opening needs, each step safe to repeat after a failure. */
async function open(): Promise<PGlite> {
  repairOwnerOnly(input.dataDir);
  makeOwnerOnlyDir(input.pgDataDir);
  makeOwnerOnlyDir(input.socketDir); // 0700: no other user can connect, whatever the socket's own mode
  if (!server.listening) {
    rmSync(socketPath, { force: true });
    await server.start(socketPath);
    chmodSync(socketPath, 0o600);
  }
  return PGlite.create(input.pgDataDir);
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

async function openUntilItWorks(): Promise<PGlite | null> {
  const started = Date.now();
  for (let attempt = 1, delayMs = FIRST_RETRY_MS; !stopping.signal.aborted; attempt++, delayMs = Math.min(2 * delayMs, MAX_RETRY_MS)) {
    try {
      const db = await open();
      const seconds = Math.round((Date.now() - started) / 1000);
      post({ type: 'log', level: 'info', message: `embedded: the database is open again (attempt ${attempt}, after ${seconds} s)` });
      return db;
    } catch (err) {
      const why = `${errorText(err)}; ${storageState(input.pgDataDir)}`;
      server.setUnavailable(`the embedded database cannot open its files: ${why}`);
      if (attempt === 1 || attempt % 10 === 0) {
        post({ type: 'log', level: 'warn', message: `embedded: cannot reopen the database (attempt ${attempt}): ${why}; trying again` });
      }
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  }
  return null;
}

/** The descriptors of a lost instance's open files: they belong to the process and outlive this thread. */
function closeFilesOf(db: PGlite): void {
  // PGlite internals (0.5): the emscripten module and its open NODEFS streams.
  const fs = (db as unknown as { mod?: { FS?: { streams?: ({ nfd?: unknown } | null)[] } } }).mod?.FS;
  const fds = new Set((fs?.streams ?? []).flatMap((s) => (typeof s?.nfd === 'number' ? [s.nfd] : [])));
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

function lose(reason: string): void {
  lost = true;
  post({ type: 'lost', reason });
  void opening.then((db) => db && closeFilesOf(db));
  // The wire server has ended every client; let their last bytes go out, then end this thread.
  void server.stop(1000).finally(() => process.exit(0));
}

async function stop(): Promise<void> {
  stopping.abort();
  try {
    await server.stop();
    const db = await opening.catch(() => null);
    if (db && !lost) await db.close();
  } finally {
    try {
      rmSync(socketPath, { force: true });
    } catch {
      // a read-only or failed disk: the next start removes it
    }
    post({ type: 'stopped' });
  }
}

async function main(): Promise<void> {
  parentPort!.on('message', (msg: unknown) => {
    if (msg === 'stop') void stop();
  });
  restrictModesInThisThread();
  // A first start fails at once (the daemon reports it); a restart after a loss waits for the disk.
  opening = input.reopening ? openUntilItWorks() : open();
  const db = await opening;
  if (!db || stopping.signal.aborted) return;
  server.attach(db);
  post({ type: 'ready' });
}

main().catch((err: unknown) => {
  post({ type: 'error', message: errorText(err) });
});
