import { spawnSync } from 'node:child_process';
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite does no locking of its own, and two processes writing one data folder corrupt it. The process
 * that hosts the embedded database holds an exclusive flock(2) on `radtrack.lock`; the file's text (pid,
 * role, socket folder) tells everyone else which socket to connect to instead of opening the files.
 *
 * Why flock: the kernel drops it when the holder's last descriptor of the file closes, that is when the
 * process dies however it dies (SIGKILL, OOM), so a PID written in a file is never trusted (PIDs are
 * reused after a container restart), and of two processes starting at once exactly one gets it. Node has
 * no flock(2), so flock(1) (util-linux, or busybox) locks a descriptor it inherits from us: the lock
 * belongs to the open file description we share, and stays after flock(1) exits until we close it or
 * die. We do not use an abstract unix socket: those are per network namespace, so a CLI in a second
 * container sharing the data volume would not see the daemon's lock and would open the files itself.
 */
export interface LockInfo {
  pid: number;
  socketDir: string;
  role: string;
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'radtrack.lock');
}

/** Takes the flock on `fd` without waiting; false if it conflicts with another holder's. */
function tryFlock(fd: number, kind: 'exclusive' | 'shared'): boolean {
  const result = spawnSync('flock', ['-n', kind === 'exclusive' ? '-x' : '-s', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  if (result.error) throw new Error(`embedded: cannot run flock(1) to lock the data folder (${result.error.message}); install util-linux`);
  if (result.status === 0) return true;
  if (result.status === 1) return false; // flock -n: the lock is held
  throw new Error(`embedded: flock(1) failed (${result.status ?? result.signal}): ${result.stderr.toString().trim()}`);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function parseInfo(text: string): LockInfo | null {
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' && typeof info.socketDir === 'string' ? info : null;
  } catch {
    return null;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long a reader waits for a new holder to replace the text a dead one left. */
const INFO_WAIT_MS = 250;

/**
 * The holder's text. A holder writes it just after it got the lock, so for a moment the file may be
 * empty or still name the previous (dead) holder: then read again. A live PID proves nothing here, the
 * lock does; the PID is only shown in messages.
 */
function holderInfo(dataDir: string): LockInfo {
  const deadline = Date.now() + INFO_WAIT_MS;
  for (;;) {
    const info = parseInfo(readFileSync(lockPath(dataDir), 'utf8'));
    if ((info && processExists(info.pid)) || Date.now() > deadline) {
      return info ?? { pid: 0, role: 'unknown', socketDir: join(dataDir, 'run') };
    }
    sleepSync(5);
  }
}

/** The live holder of the lock, or null at once if the folder is free (whatever a crashed holder left). */
export function readLock(dataDir: string): LockInfo | null {
  let fd: number;
  try {
    fd = openSync(lockPath(dataDir), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    // A shared lock is refused only while someone holds it exclusively; ours goes when fd is closed.
    return tryFlock(fd, 'shared') ? null : holderInfo(dataDir);
  } finally {
    closeSync(fd);
  }
}

/** Readers hold a shared lock for a few milliseconds; an exclusive attempt that meets one tries again. */
const ACQUIRE_ATTEMPTS = 50;

/** Takes the lock, or returns its live holder. */
export function acquireLock(dataDir: string, info: LockInfo): { ok: true; release: () => void } | { ok: false; holder: LockInfo } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Not truncated on open: until we hold the lock, the text belongs to whoever holds it.
  const fd = openSync(lockPath(dataDir), constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
      if (tryFlock(fd, 'exclusive')) {
        ftruncateSync(fd, 0);
        writeSync(fd, JSON.stringify(info), 0);
        let released = false;
        return {
          ok: true,
          release: () => {
            if (released) return;
            released = true;
            closeSync(fd);
          },
        };
      }
      const holder = readLock(dataDir);
      if (holder) {
        closeSync(fd);
        return { ok: false, holder };
      }
      sleepSync(1 + Math.random() * 10);
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  closeSync(fd);
  throw new Error(`embedded: cannot take the lock ${lockPath(dataDir)}: it is busy but no holder answers`);
}
