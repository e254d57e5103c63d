// Runs in a worker thread: PGlite executes queries synchronously in WASM, so it must not share
// the event loop with the UDP socket. It serves the PostgreSQL wire protocol on a unix socket.
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { makeOwnerOnlyDir, repairOwnerOnly, restrictModesInThisThread } from './owner-only.ts';
import { WireServer } from './wire-server.ts';

interface WorkerInput {
  dataDir: string;
  pgDataDir: string;
  socketDir: string;
}

const input = workerData as WorkerInput;

async function main(): Promise<void> {
  restrictModesInThisThread();
  repairOwnerOnly(input.dataDir);
  makeOwnerOnlyDir(input.pgDataDir);
  makeOwnerOnlyDir(input.socketDir); // 0700: no other user can connect, whatever the socket's own mode
  const socketPath = join(input.socketDir, '.s.PGSQL.5432');
  rmSync(socketPath, { force: true });
  const db = await PGlite.create(input.pgDataDir);
  const idleMs = Number(process.env.RADTRACK_IDLE_IN_TRANSACTION_MS) || 30_000;
  const server = new WireServer(db, idleMs);
  await server.start(socketPath);
  chmodSync(socketPath, 0o600);
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
