// The embedded data folder holds NAS secrets, in tables and in the WAL: only its owner may read or write
// it, and only the owner may reach the socket, whatever the umask of the process.
import { chmodSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync, fstatSync, constants, type Mode, type MakeDirectoryOptions } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

function ownerOnlyMode(isDir: boolean): number {
  return isDir ? DIR_MODE : FILE_MODE;
}

/** Creates `dir` (and missing parents) if needed and makes it 0700 (chmod only if it is not). */
export function makeOwnerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if ((statSync(dir).mode & 0o7777) !== DIR_MODE) chmodSync(dir, DIR_MODE);
}

/**
 * Repairs a folder written before (older radtrack, or PGlite's initdb, which leaves files 0666): every
 * directory 0700, everything else 0600. `root` may be a symbolic link (./data to a volume); links inside
 * it are left alone and not followed.
 */
export function repairOwnerOnly(root: string): void {
  const pending = [realpathSync(root)];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    const want = ownerOnlyMode(st.isDirectory());
    if ((st.mode & 0o7777) !== want) chmodSync(path, want);
    if (st.isDirectory()) for (const name of readdirSync(path)) pending.push(join(path, name));
  }
}

function permissionBits(mode: Mode | null | undefined, fallback: number): number {
  if (mode === undefined || mode === null) return fallback;
  return typeof mode === 'number' ? mode : parseInt(mode, 8);
}

/**
 * Makes every file and directory this thread creates or chmods owner-only. PGlite's file system layer
 * (emscripten NODEFS) creates each file with mode 0777, subject only to the process umask, then chmods
 * it to whatever PostgreSQL asked, and PostgreSQL inside PGlite asks 0644 for files it opens with fopen
 * (pg_internal.init, statistics). Node cannot set the umask from a worker thread, and a process-wide
 * umask would change the files of the rest of the daemon while still allowing an explicit chmod 0644.
 * So the worker that hosts PGlite, and nothing else, narrows the modes at the fs calls NODEFS makes.
 */
export function restrictModesInThisThread(): void {
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const { openSync, writeFileSync, mkdirSync: mkdir, chmodSync: chmod, fchmodSync } = fs;
  const isDirMode = (mode: number) => (mode & constants.S_IFMT) === constants.S_IFDIR;
  Object.assign(fs, {
    openSync: (path: Parameters<typeof openSync>[0], flags?: Parameters<typeof openSync>[1], mode?: Mode | null) =>
      openSync(path, flags ?? 'r', permissionBits(mode, 0o666) & FILE_MODE),
    writeFileSync: (file: Parameters<typeof writeFileSync>[0], data: Parameters<typeof writeFileSync>[1], options?: Parameters<typeof writeFileSync>[2]) => {
      const opts = typeof options === 'object' && options !== null ? options : { encoding: options ?? undefined };
      writeFileSync(file, data, { ...opts, mode: permissionBits(opts.mode, 0o666) & FILE_MODE });
    },
    mkdirSync: (path: Parameters<typeof mkdir>[0], options?: Mode | MakeDirectoryOptions | null) => {
      const opts = typeof options === 'object' && options !== null ? options : { mode: options ?? undefined };
      return mkdir(path, { ...opts, mode: permissionBits(opts.mode, 0o777) & DIR_MODE });
    },
    chmodSync: (path: Parameters<typeof chmod>[0], mode: Mode) => {
      const bits = permissionBits(mode, 0);
      const dir = bits & constants.S_IFMT ? isDirMode(bits) : statSync(path).isDirectory();
      chmod(path, bits & 0o7777 & ownerOnlyMode(dir));
    },
    fchmodSync: (fd: number, mode: Mode) => {
      const bits = permissionBits(mode, 0);
      const dir = bits & constants.S_IFMT ? isDirMode(bits) : fstatSync(fd).isDirectory();
      fchmodSync(fd, bits & 0o7777 & ownerOnlyMode(dir));
    },
  });
  syncBuiltinESMExports(); // so that `import { openSync } from 'node:fs'` sees the same functions
}
