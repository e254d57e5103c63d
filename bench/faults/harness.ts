// The fault suite's scaffolding: a fresh database per backend, the real `radtrack serve` as a child process
// (killed, stopped and restarted on the same UDP port), its metrics and its memory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DatabaseTarget } from '../../src/config/database.ts';
import { openDatabase, type Database } from '../../src/db/open.ts';
import { dbUrlFor, freeUdpPort, withTimeout } from '../ingest.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'radtrack');
export const SECRET = 'faults-secret';
export const DB_NAME = 'radtrack_faults';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (m: string) => console.error(`[faults ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** The environment of every child: nothing of the caller's radtrack settings. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RADTRACK_') && k !== 'DATABASE_URL') env[k] = v;
  return { ...env, ...extra };
}

export function cli(dbArgs: string[], args: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [BIN, ...dbArgs, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: childEnv(extraEnv) });
  if (r.status !== 0) throw new Error(`radtrack ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export type BackendKind = 'postgres' | 'embedded';

export interface Backend {
  kind: BackendKind;
  work: string;
  dbArgs: string[];
  target: DatabaseTarget;
  /** postgres only: the server's maintenance database, for ALTER DATABASE and DROP. */
  adminUrl: string | null;
  /** postgres only: the fresh database's name. */
  dbName: string | null;
  dataDir: string | null;
  close(): Promise<void>;
}

/** A fresh database: `radtrack_faults` on the server (dropped first and at the end), or a new data dir. */
export async function makeBackend(kind: BackendKind, dataDirAt?: string): Promise<Backend> {
  const work = mkdtempSync(join(tmpdir(), `radtrack-faults-${kind}-`));
  // The mode checks must see the data dir's own modes, not a private parent's: make the parent world-readable.
  chmodSync(work, 0o755);
  if (kind === 'embedded') {
    const dataDir = dataDirAt ?? join(work, 'data');
    return {
      kind, work, dbArgs: ['--data-dir', dataDir], target: { kind: 'embedded', dataDir }, adminUrl: null, dbName: null, dataDir,
      async close() { rmSync(work, { recursive: true, force: true }); },
    };
  }
  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await adminQuery(adminUrl, `CREATE DATABASE ${DB_NAME}`);
  const url = dbUrlFor(adminUrl, DB_NAME);
  return {
    kind, work, dbArgs: ['--db', url], target: { kind: 'postgres', url }, adminUrl, dbName: DB_NAME, dataDir: null,
    async close() {
      await adminQuery(adminUrl, `ALTER DATABASE ${DB_NAME} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`).catch((e: Error) => log(`drop: ${e.message}`));
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function adminQuery(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** Opens the backend in this process (embedded: only while no daemon owns it) for the checks' queries. */
export async function openForChecks(b: Backend): Promise<Database> {
  return withTimeout(openDatabase(b.target, { role: 'faults-verify', exclusive: b.kind === 'embedded', migrate: false, poolMax: 2 }), 120_000, 'open the database');
}

export interface MemoryFigures { rssKb: number; hwmKb: number }

export function memoryOf(pid: number): MemoryFigures {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** One incarnation of `radtrack serve`; `Daemons` restarts it on the same ports. */
export class DaemonProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();
  private constructor(readonly child: ChildProcess, readonly logFile: string, private readonly logOffset: number) {
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const reap = () => { if (this.alive) child.kill('SIGKILL'); };
    process.once('exit', reap);
    void this.exited.then(() => process.off('exit', reap));
  }

  get pid(): number { return this.child.pid!; }
  get alive(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }

  /** This incarnation's log lines so far. */
  logText(): string { return readFileSync(this.logFile, 'utf8').slice(this.logOffset); }

  static async start(b: Backend, udpPort: number, metricsPort: number, logFile: string, extraArgs: string[] = []): Promise<DaemonProcess> {
    let offset = 0;
    try { offset = readFileSync(logFile, 'utf8').length; } catch { /* new */ }
    const fd = openSync(logFile, 'a');
    const args = [BIN, ...b.dbArgs, 'serve', '--host', '127.0.0.1', '--port', String(udpPort), '--metrics', `127.0.0.1:${metricsPort}`, ...extraArgs];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd], env: childEnv() });
    closeSync(fd);
    const d = new DaemonProcess(child, logFile, offset);
    const t0 = Date.now();
    while (!d.logText().includes('serve: listening on')) {
      if (!d.alive) throw new Error(`daemon exited before listening:\n${d.logText().slice(-3000)}`);
      if (Date.now() - t0 > 120_000) { child.kill('SIGKILL'); throw new Error('daemon did not start within 120 s'); }
      await sleep(50);
    }
    return d;
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; the exit status (null and a SIGKILL if it took longer than `ms`). */
  async terminate(ms = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

export async function freePorts(): Promise<{ udp: number; metrics: number }> {
  const udp = await freeUdpPort();
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const metrics = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return { udp, metrics };
}

/** The daemon's Prometheus text, parsed: "name{labels}" → value. */
export async function scrape(metricsPort: number): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: metricsPort, path: '/metrics', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('metrics: timed out')));
    req.on('error', reject);
  });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of a metric's samples whose labels include every `label="value"` given. */
export function metricSum(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let n = 0;
  for (const [key, v] of m) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, val]) => key.includes(`${k}="${val}"`))) n += v;
  }
  return n;
}

/** Datagrams the kernel dropped for a full receive buffer, machine-wide (/proc/net/snmp Udp RcvbufErrors). */
export function udpReceiveDrops(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('RcvbufErrors')]);
}
