// The embedded data folder holds NAS secrets (in tables and in the WAL). PGlite leaves its files 0666:
// without care, any local user could read a secret out of the WAL, write the files, or connect to the
// socket. Everything under the data folder must be owner-only, whatever the process umask.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { startEmbeddedHost, type EmbeddedHost } from '../../src/db/embedded/host.ts';
import { createKnex, embeddedConnection } from '../../src/db/knex.ts';
import { testTarget } from '../helpers/db.ts';

/** Every path under `root` (root included) whose permission bits are not 0700 (folders) or 0600 (the rest). */
function notOwnerOnly(root: string): string[] {
  const wrong: string[] = [];
  const pending = [root];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o7777) !== want) wrong.push(`${(st.mode & 0o7777).toString(8)} ${path}`);
    if (st.isDirectory()) for (const name of readdirSync(path)) pending.push(join(path, name));
  }
  return wrong.sort();
}

function countFiles(root: string): number {
  let n = 0;
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}

/** Runs as user and group nobody (65534): reads `file` and connects to `socket`; answers each error code or 'ok'. */
function asNobody(file: string, socket: string): Promise<{ read: string; connect: string }> {
  const script = `
    const out = {};
    try { require('fs').readFileSync(process.env.FILE); out.read = 'ok'; } catch (e) { out.read = e.code; }
    const s = require('net').connect(process.env.SOCKET);
    s.on('connect', () => { out.connect = 'ok'; s.destroy(); console.log(JSON.stringify(out)); });
    s.on('error', (e) => { out.connect = e.code; console.log(JSON.stringify(out)); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: '/', env: { FILE: file, SOCKET: socket } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`as nobody: exit ${code}: ${err}`))));
  });
}

describe('embedded data folder: owner-only files and socket', function () {
  this.timeout(180_000);
  let parent: string | null = null;
  let dataDir: string;
  let host: EmbeddedHost | null = null;
  let knex: Knex | null = null;
  let umask: number;

  async function open(): Promise<Knex> {
    host = await startEmbeddedHost(dataDir, 'test');
    knex = createKnex(embeddedConnection(host.socketDir), 1);
    return knex;
  }
  async function close(): Promise<void> {
    await knex?.destroy();
    await host?.stop();
    knex = null;
    host = null;
  }

  before(async function () {
    if (testTarget().kind !== 'embedded') this.skip(); // runs once, with the embedded backend
    parent = mkdtempSync(join(tmpdir(), 'radtrack-files-'));
    chmodSync(parent, 0o755); // reachable by everyone, as ./data in a world-readable checkout is
    dataDir = join(parent, 'data');
    // A folder left open to everyone, as an older radtrack or a careless copy leaves it.
    mkdirSync(join(dataDir, 'old'), { recursive: true });
    writeFileSync(join(dataDir, 'old', 'notes'), 'secret');
    chmodSync(join(dataDir, 'old', 'notes'), 0o666);
    chmodSync(join(dataDir, 'old'), 0o777);
    chmodSync(dataDir, 0o777);
    umask = process.umask(0); // the worst umask: nothing is masked
    const db = await open();
    await db.raw(`create table secrets (id int primary key, secret text)`);
    // Enough to fill and switch WAL segments (16 MB each) and to add relation files and indexes.
    await db.raw(`insert into secrets select g, repeat('s3cr3t', 40) from generate_series(1, 150000) g`);
    await db.raw(`create index on secrets (secret)`);
    await db.raw('checkpoint');
    await close();
    const again = await open(); // a restart rewrites pg_internal.init and statistics files
    await again.raw(`insert into secrets select g, 'more' from generate_series(150001, 160000) g`);
    await again.raw('checkpoint');
  });

  after(async () => {
    if (!parent) return;
    process.umask(umask);
    await close();
    rmSync(parent, { recursive: true, force: true });
  });

  it('every folder is 0700 and every file 0600 after initdb, writes, checkpoints and a restart, with umask 000', () => {
    expect(countFiles(join(dataDir, 'pgdata')), 'files checked').to.be.greaterThan(900);
    const wrong = notOwnerOnly(dataDir);
    expect(wrong.slice(0, 8), `${wrong.length} paths are not owner-only; the first ones`).to.deep.equal([]);
  });

  it('user nobody can neither connect to the socket nor read a database file (EACCES)', async function () {
    // Only root can start a process as another user; elsewhere this test is pending.
    if (process.getuid?.() !== 0) this.skip();
    const got = await asNobody(join(dataDir, 'pgdata', 'PG_VERSION'), join(host!.socketDir, '.s.PGSQL.5432'));
    expect(got).to.deep.equal({ read: 'EACCES', connect: 'EACCES' });
  });
});
