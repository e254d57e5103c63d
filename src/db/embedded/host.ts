import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { makeStderrLogger, type Logger } from '../../log.ts';
import { acquireLock, type LockInfo } from './lock.ts';
import { makeOwnerOnlyDir } from './owner-only.ts';

export interface EmbeddedHost {
  socketDir: string;
  /** Rejects if the database worker dies while it should be running (not when it replaces a lost PGlite). */
  readonly died: Promise<never>;
  stop(): Promise<void>;
}

export class EmbeddedLockedError extends Error {
  constructor(readonly dataDir: string, readonly holder: LockInfo) {
    super(`embedded: ${dataDir} is in use by radtrack ${holder.role} (pid ${holder.pid})`);
  }
}

export interface WorkerInput {
  dataDir: string;
  pgDataDir: string;
  socketDir: string;
  /** Started after a lost PGlite: retry opening until the files can be opened (e.g. the disk has room). */
  reopening: boolean;
  /** A client idle inside a transaction this long is ended: PGlite is one session, and it would hold everyone. */
  idleInTransactionMs: number;
}

/** Production default of WorkerInput.idleInTransactionMs. */
export const EMBEDDED_IDLE_MS = 30_000;

export interface EmbeddedHostOptions {
  idleInTransactionMs?: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'stopped' }
  | { type: 'lost'; reason: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * Starts a worker thread that hosts PGlite on a unix socket. In development the source is TypeScript
 * run by tsx; Node 20 workers do not inherit the loader, so the worker registers it first.
 */
function tsxEsmApiPath(): string {
  // The ESM entry of 'tsx/esm/api', found from its package.json (require.resolve would give the CJS one).
  const pkgJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return join(dirname(pkgJson), pkg.exports['./esm/api'].import.default);
}

function spawnWorker(data: WorkerInput, log: Logger): Worker {
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const entry = pathToFileURL(WORKER_FILE).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  worker.on('message', (msg: FromWorker) => {
    if (msg.type === 'log') log[msg.level](msg.message);
  });
  return worker;
}

/**
 * Opens the embedded database in `dataDir` for this process (takes the lock) and serves it on a socket.
 * `log` receives what the database worker reports: a lost PGlite, and its recovery.
 */
export async function startEmbeddedHost(
  dataDir: string,
  role: string,
  log: Logger = makeStderrLogger(),
  opts: EmbeddedHostOptions = {},
): Promise<EmbeddedHost> {
  const socketDir = join(dataDir, 'run');
  makeOwnerOnlyDir(dataDir); // before the lock file is created in it; the worker repairs what is inside
  const lock = acquireLock(dataDir, { pid: process.pid, socketDir, role });
  if (!lock.ok) throw new EmbeddedLockedError(dataDir, lock.holder);
  const input: WorkerInput = {
    dataDir,
    pgDataDir: join(dataDir, 'pgdata'),
    socketDir,
    reopening: false,
    idleInTransactionMs: opts.idleInTransactionMs ?? EMBEDDED_IDLE_MS,
  };
  let worker = spawnWorker(input, log);
  const started = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`embedded: database worker exited (${code}) during start`)));
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') resolve();
      else if (msg.type === 'error') reject(new Error(`embedded: cannot open ${dataDir}: ${msg.message}`));
    });
  });
  try {
    await started;
  } catch (err) {
    await worker.terminate();
    lock.release();
    throw err;
  }
  for (const event of ['error', 'exit']) worker.removeAllListeners(event);
  let stopping: Promise<void> | null = null;
  // The lock stays while this process lives, even if the worker dies: releasing it would let another
  // process open the same files. The kernel releases it when this process ends.
  const died = new Promise<never>((_, reject) => {
    const watch = (w: Worker) => {
      let lost = false;
      w.on('message', (msg: FromWorker) => {
        if (msg.type === 'error') reject(new Error(`embedded: cannot reopen ${dataDir}: ${msg.message}`));
        if (msg.type !== 'lost') return;
        lost = true;
        log.error(`embedded: the database failed (${msg.reason}); its clients were disconnected; reopening it`);
      });
      w.on('error', (err) => reject(new Error(`embedded: the database worker failed: ${err.message}`)));
      w.on('exit', (code) => {
        if (stopping) return;
        if (!lost) return reject(new Error(`embedded: the database worker exited (${code})`));
        worker = spawnWorker({ ...input, reopening: true }, log);
        worker.unref();
        watch(worker);
      });
    };
    watch(worker);
  });
  died.catch(() => undefined);
  worker.unref();
  return {
    socketDir,
    died,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => {
          lock.release();
          resolve();
        };
        worker.on('message', (msg: FromWorker) => {
          if (msg.type === 'stopped') void worker.terminate().then(done, done);
        });
        worker.once('exit', done);
        worker.ref(); // keep the process alive until PGlite has closed its files
        worker.postMessage('stop');
      });
      return stopping;
    },
  };
}
