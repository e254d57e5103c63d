import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite does no locking of its own, and two processes writing one data folder corrupt it.
 * The process that hosts the embedded database holds `radtrack.lock` (O_EXCL, with its pid and
 * socket folder); everyone else connects to that socket instead of opening the files.
 */
export interface LockInfo {
  pid: number;
  socketDir: string;
  role: string;
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'radtrack.lock');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the lock, or null (a lock left by a dead process is treated as absent). */
export function readLock(dataDir: string): LockInfo | null {
  let text: string;
  try {
    text = readFileSync(lockPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    if (typeof info.pid === 'number' && isAlive(info.pid)) return info;
  } catch {
    // A half-written lock file: its writer died between open and write.
  }
  return null;
}

/** Takes the lock or returns the live holder. */
export function acquireLock(dataDir: string, info: LockInfo): { ok: true; release: () => void } | { ok: false; holder: LockInfo } {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(dataDir);
      if (holder) return { ok: false, holder };
      try {
        unlinkSync(path); // stale: its process is gone
      } catch {
        // someone else removed it first
      }
    }
  }
  const holder = readLock(dataDir);
  if (holder) return { ok: false, holder };
  throw new Error(`embedded: cannot take the lock ${path}; remove it if no radtrack process is running`);
}
