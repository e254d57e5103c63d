// The embedded database's lock (src/db/embedded/lock.ts) belongs to a live process, not to a PID written
// in a file: PIDs are reused after a crash (a container restarted after SIGKILL or OOM starts from the
// same PIDs), and a lock that trusted kill(pid, 0) then refused to start, or made CLI commands wait.
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EmbeddedLockedError, startEmbeddedHost } from '../../src/db/embedded/host.ts';
import { acquireLock, lockPath, readLock, type LockInfo } from '../../src/db/embedded/lock.ts';
import { openDatabase } from '../../src/db/open.ts';
import { testTarget } from '../helpers/db.ts';

const CHILD = new URL('./embedded-lock-child.ts', import.meta.url).pathname;

interface Outcome {
  ok: boolean;
  pid: number;
  holder?: LockInfo;
}

/** A process that takes the lock when told to (embedded-lock-child.ts). */
class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  constructor(dataDir: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir]);
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async line(): Promise<string> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`lock child ${this.proc.pid} ended without answering`);
    return next.value;
  }
  async ready(): Promise<void> {
    expect(await this.line()).to.equal('ready');
  }
  go(): void {
    this.proc.stdin.write('go\n');
  }
  async outcome(): Promise<Outcome> {
    return JSON.parse(await this.line()) as Outcome;
  }
  exited(): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }
  async end(): Promise<void> {
    this.proc.stdin.end();
    await this.exited();
  }
}

/** A PID that belonged to a process which has exited, as a crashed holder leaves behind. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => p.once('exit', resolve));
  return p.pid!;
}

function staleLockFile(dataDir: string, pid: number): void {
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid, role: 'serve', socketDir: join(dataDir, 'run') }));
}

describe('embedded database lock', function () {
  this.timeout(60_000);
  before(function () {
    if (testTarget().kind !== 'embedded') this.skip(); // runs once, with the embedded backend
  });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'radtrack-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a lock file naming a live unrelated PID (this test, pid 1) does not block a new holder', () => {
    for (const pid of [process.pid, 1]) {
      staleLockFile(dir, pid);
      expect(readLock(dir), `stale file naming pid ${pid}`).to.equal(null);
      const lock = acquireLock(dir, { pid: process.pid, role: 'test', socketDir: join(dir, 'run') });
      expect(lock.ok ? 'acquired' : `refused, holder ${JSON.stringify(lock.holder)}`).to.equal('acquired');
      expect(readLock(dir)).to.deep.equal({ pid: process.pid, role: 'test', socketDir: join(dir, 'run') });
      if (lock.ok) lock.release();
      expect(readLock(dir), 'after release').to.equal(null);
    }
  });

  it('readLock on a free folder answers null at once: no lock file, an empty one, a stale one', () => {
    const started = Date.now();
    expect(readLock(dir)).to.equal(null);
    writeFileSync(lockPath(dir), '');
    expect(readLock(dir)).to.equal(null);
    staleLockFile(dir, process.pid);
    expect(readLock(dir)).to.equal(null);
    expect(Date.now() - started).to.be.lessThan(2000);
  });

  it('eight processes racing after a crash: exactly one holds the lock, the others name it', async () => {
    staleLockFile(dir, await deadPid());
    const children = Array.from({ length: 8 }, () => new Child(dir));
    try {
      await Promise.all(children.map((c) => c.ready()));
      for (const c of children) c.go();
      const outcomes = await Promise.all(children.map((c) => c.outcome()));
      const winners = outcomes.filter((o) => o.ok).map((o) => o.pid);
      expect(winners, 'processes that got the lock').to.have.length(1);
      const named = outcomes.filter((o) => !o.ok).map((o) => o.holder?.pid);
      expect(named, 'the holder each refused process was shown').to.deep.equal(Array(7).fill(winners[0]));
      expect(readLock(dir)?.pid).to.equal(winners[0]);
    } finally {
      await Promise.all(children.map((c) => c.end()));
    }
  });

  it('is released by the kernel when its holder is killed with SIGKILL', async () => {
    const child = new Child(dir);
    try {
      await child.ready();
      child.go();
      expect(await child.outcome()).to.include({ ok: true });
      expect(readLock(dir)?.pid).to.equal(child.proc.pid);
      const refused = acquireLock(dir, { pid: process.pid, role: 'test', socketDir: join(dir, 'run') });
      expect(refused.ok ? null : refused.holder.pid, 'refused while the child lives').to.equal(child.proc.pid);
      child.proc.kill('SIGKILL');
      await child.exited();
      expect(readLock(dir), 'after SIGKILL').to.equal(null);
      const lock = acquireLock(dir, { pid: process.pid, role: 'test', socketDir: join(dir, 'run') });
      expect(lock).to.include({ ok: true });
      if (lock.ok) lock.release();
    } finally {
      await child.end();
    }
  });

  it('a stale lock naming our own PID: the database opens at once, a second opener connects, serve is refused', async function () {
    this.timeout(90_000); // a fresh data folder runs initdb; the PID lock made this wait 120 s
    staleLockFile(dir, process.pid);
    const db = await openDatabase({ kind: 'embedded', dataDir: dir }, { role: 'cli', migrate: false });
    try {
      expect(db.host, 'this process hosts it').to.not.equal(null);
      expect(readLock(dir)).to.include({ pid: process.pid, role: 'cli' });
      const other = await openDatabase({ kind: 'embedded', dataDir: dir }, { role: 'report', migrate: false });
      try {
        expect(other.host, 'the second opener goes through the socket').to.equal(null);
        expect((await other.knex.raw('select 41 + 1 as v')).rows).to.deep.equal([{ v: 42 }]);
      } finally {
        await other.close();
      }
      const err = await startEmbeddedHost(dir, 'serve').then((h) => h.stop().then(() => null), (e: unknown) => e);
      expect(err).to.be.instanceOf(EmbeddedLockedError);
      expect((err as EmbeddedLockedError).holder).to.include({ pid: process.pid, role: 'cli' });
    } finally {
      await db.close();
    }
    expect(readLock(dir), 'released when the host stopped').to.equal(null);
  });
});
