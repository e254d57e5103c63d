// Runs in a worker thread: PGlite executes queries synchronously in WASM, so it must not share
// the event loop with the UDP socket. It serves the PostgreSQL wire protocol on a unix socket.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { WireServer } from './wire-server.ts';

interface WorkerInput {
  pgDataDir: string;
  socketDir: string;
}

const input = workerData as WorkerInput;

async function main(): Promise<void> {
  mkdirSync(input.pgDataDir, { recursive: true });
  mkdirSync(input.socketDir, { recursive: true });
  const socketPath = join(input.socketDir, '.s.PGSQL.5432');
  rmSync(socketPath, { force: true });
  const db = await PGlite.create(input.pgDataDir);
  const idleMs = Number(process.env.RADTRACK_IDLE_IN_TRANSACTION_MS) || 30_000;
  const server = new WireServer(db, idleMs);
  await server.start(socketPath);
  parentPort!.on('message', async (msg: unknown) => {
    if (msg !== 'stop') return;
    try {
      await server.stop();
      await db.close();
    } finally {
      rmSync(socketPath, { force: true });
      parentPort!.postMessage({ type: 'stopped' });
    }
  });
  parentPort!.postMessage({ type: 'ready' });
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
});
