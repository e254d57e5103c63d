// A separate process for test/db/embedded-lock.test.ts: prints "ready", takes the lock of the folder
// given as argument when a line arrives on stdin, prints the outcome as JSON, and lives until stdin closes.
import { acquireLock } from '../../src/db/embedded/lock.ts';

const dataDir = process.argv[2];
process.stdin.once('data', () => {
  const lock = acquireLock(dataDir, { pid: process.pid, role: 'child', socketDir: `${dataDir}/run` });
  process.stdout.write(JSON.stringify(lock.ok ? { ok: true, pid: process.pid } : { ok: false, pid: process.pid, holder: lock.holder }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('ready\n');
