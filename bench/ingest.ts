// Ingest benchmark: the real `radtrack serve` daemon (child process) on a fresh database, fed by a NAS-like
// UDP client on loopback. Prints packets/s, latency, CPU per packet, and checks every session row exactly.
//
//   node --import tsx bench/ingest.ts [--sessions 5000] [--parallel 64] [--batch-size N] [--batch-delay MS]
//                                     [--embedded] [--keep] [--warmup 500] [--max-seconds 300]
//
// PostgreSQL: database radtrack_bench_ingest on DATABASE_URL's server (default
// postgres://postgres@127.0.0.1:5432/postgres), dropped and recreated. --embedded: a fresh temp PGlite data dir.
// Traffic goes to 127.0.0.1 only; every loop is bounded in count and time. No timing assertions: figures are
// printed; the exit code is non-zero only when the benchmark could not run or the rows are wrong.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'radtrack');
const DB_NAME = 'radtrack_bench_ingest';
const SECRET = 'bench-secret';
const CLK_TCK = 100; // Linux USER_HZ

export interface IngestOptions {
  sessions: number;
  parallel: number;
  batchSize?: number;
  batchDelay?: number;
  embedded: boolean;
  keep: boolean;
  warmup: number;
  maxSeconds: number;
  timeoutMs: number;
  tries: number;
  portPolicy: 'autoclose' | 'flag' | 'ignore';
  seed: number;
  cpuProf?: string;
  /** Background of other subscribers loaded before the run (bench/freeradius-compare/product-reset.sql). */
  bgClosed: number;
  bgOpen: number;
  /** Closed sessions already in history (months of 2025) before the run. */
  history: number;
  /** Sessions opened (Start only) before the measured load, left open while it runs (RSS figure). */
  open: number;
  /** After the load: Accounting-On from the NAS, then a Start for every --open port as fast as the client can. */
  storm: boolean;
  stormParallel: number;
  /** After the load: the same shape again, paced at this fraction of the measured packets/s (latency figure). */
  halfRate: number;
  jsonOut?: string;
  /** SQL run through psql once the daemon listens, before any load: e.g. to compare a planner setting. */
  setupSql?: string;
}

const DEFAULTS: IngestOptions = {
  sessions: 5000,
  parallel: 64,
  embedded: false,
  keep: false,
  warmup: 500,
  maxSeconds: 300,
  timeoutMs: 3000,
  tries: 5,
  portPolicy: 'autoclose',
  seed: 1,
  bgClosed: 0,
  bgOpen: 0,
  history: 0,
  open: 0,
  storm: false,
  stormParallel: 1024,
  halfRate: 0,
};

const USAGE = `usage: bench/ingest.ts [--sessions N] [--parallel P] [--batch-size N] [--batch-delay MS] [--embedded] [--keep]
                       [--warmup SESSIONS] [--max-seconds S] [--port-policy autoclose|flag|ignore] [--seed N]
                       [--cpu-prof DIR]   (runs the daemon under node --cpu-prof, profile written to DIR)
                       [--background CLOSED,OPEN] (other subscribers' sessions loaded first, as the harness does)
                       [--history N]      (N closed sessions of 2025 already in history)
                       [--open N]         (N sessions opened before the load and left open: RSS figure)
                       [--storm]          (after the load: Accounting-On, then a Start on every --open port)
                       [--storm-parallel P] (window of the storm's Starts, default 1024)
                       [--half-rate F]    (after the load: a paced run at F x the measured packets/s, e.g. 0.5)
                       [--json-out FILE]  (figures as JSON)
                       [--setup-sql SQL]  (run through psql before the load, e.g. to compare a planner setting)`;

/** An integer flag value within [lo, hi], or an error naming the flag. */
export function intArg(name: string, v: string | undefined, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name}: expected an integer ${lo}-${hi}, got ${v}`);
  return n;
}

/** Calls `each(flag, val, raw)` for every argument; `--flag=v` and `--flag v` both work, `val()` takes the value. */
export function eachFlag(argv: string[], each: (flag: string, val: () => string | undefined, raw: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    each(flag, () => inline ?? argv[++i], a);
  }
}

export function parseArgs(argv: string[]): IngestOptions {
  const o: IngestOptions = { ...DEFAULTS };
  const int = intArg;
  eachFlag(argv, (flag, val, a) => {
    switch (flag) {
      case '--sessions': o.sessions = int(flag, val(), 1, 200_000); break;
      case '--parallel': o.parallel = int(flag, val(), 1, 1024); break;
      case '--batch-size': o.batchSize = int(flag, val(), 1, 5000); break;
      case '--batch-delay': o.batchDelay = int(flag, val(), 0, 1000); break;
      case '--warmup': o.warmup = int(flag, val(), 0, 20_000); break;
      case '--max-seconds': o.maxSeconds = int(flag, val(), 1, 3600); break;
      case '--seed': o.seed = int(flag, val(), 0, 2 ** 31); break;
      case '--embedded': o.embedded = true; break;
      case '--keep': o.keep = true; break;
      case '--cpu-prof': o.cpuProf = val(); break;
      case '--json-out': o.jsonOut = val(); break;
      case '--setup-sql': o.setupSql = val(); break;
      case '--background': {
        const m = /^(\d+),(\d+)$/.exec(val() ?? '');
        if (!m) throw new Error('--background: expected CLOSED,OPEN');
        o.bgClosed = Number(m[1]); o.bgOpen = Number(m[2]);
        break;
      }
      case '--history': o.history = int(flag, val(), 0, 50_000_000); break;
      case '--open': o.open = int(flag, val(), 0, 1_000_000); break;
      case '--storm': o.storm = true; break;
      case '--storm-parallel': o.stormParallel = int(flag, val(), 1, 4096); break;
      case '--half-rate': {
        const f = Number(val());
        if (!(f > 0 && f <= 1)) throw new Error('--half-rate: expected a fraction in (0, 1]');
        o.halfRate = f;
        break;
      }
      case '--port-policy': {
        const v = val();
        if (v !== 'autoclose' && v !== 'flag' && v !== 'ignore') throw new Error(`--port-policy: ${v}`);
        o.portPolicy = v;
        break;
      }
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  });
  if (o.storm && o.open === 0) throw new Error('--storm needs --open N (the sessions the restart closes)');
  if (o.parallel > o.sessions) throw new Error('--parallel must not exceed --sessions (rounds order keeps one packet per session in flight)');
  return o;
}

// ------------------------------------------------------------------ load (same shape as gen_packets.py)
const CAUSES: [string, number, number][] = [ // name, value, weight
  ['User-Request', 1, 45], ['Lost-Carrier', 2, 20], ['Idle-Timeout', 4, 12], ['Session-Timeout', 5, 8],
  ['Admin-Reset', 6, 5], ['NAS-Request', 10, 4], ['Port-Error', 8, 3], ['Lost-Service', 3, 3],
];
const INTERIMS = 2;
const INTERVAL = 300;
const BASE_TS = 1767225600; // 2026-01-01T00:00:00Z

interface Session {
  user: string;
  sid: string;
  nasIp: number[];
  nasId: string;
  port: number;
  framedIp: number[];
  mac: string;
  startTs: number;
  times: number[]; // offsets of Start, Interims, Stop
  inCum: bigint[];
  outCum: bigint[];
  pin: number[];
  pout: number[];
  cause: [string, number];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildSessions(n: number, seed: number, prefix: string, portBase: number): Session[] {
  const rnd = mulberry32(seed);
  const randint = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const out: Session[] = [];
  const totalW = CAUSES.reduce((s, c) => s + c[2], 0);
  for (let s = 0; s < n; s++) {
    const heavy = rnd() < 0.1; // 10 % exceed 4 GiB: Gigawords
    const inCum = [0n], outCum = [0n], pin = [0], pout = [0];
    for (let j = 0; j <= INTERIMS; j++) {
      const din = heavy ? randint(1 << 30, 3 * 2 ** 31) : randint(50_000, 300_000_000);
      const dout = heavy ? randint(1 << 28, 2 ** 31) : randint(10_000, 40_000_000);
      inCum.push(inCum[j]! + BigInt(din));
      outCum.push(outCum[j]! + BigInt(dout));
      pin.push(pin[j]! + Math.floor(din / 900) + 1);
      pout.push(pout[j]! + Math.floor(dout / 600) + 1);
    }
    let x = rnd() * totalW;
    let cause = CAUSES[CAUSES.length - 1]!;
    for (const c of CAUSES) if ((x -= c[2]) <= 0) { cause = c; break; }
    const nas = s % 16;
    out.push({
      user: `${prefix}sub${String(s).padStart(7, '0')}`,
      sid: `${prefix}${(seed >>> 0).toString(16).toUpperCase().padStart(8, '0')}-${s.toString(16).toUpperCase().padStart(8, '0')}`,
      nasIp: [192, 0, 2, nas + 1],
      nasId: `bng-${String(nas + 1).padStart(2, '0')}`,
      // One NAS (radtrack identifies it by source address, all traffic comes from 127.0.0.1): one port per
      // concurrent session, as on a real BNG. (The shared harness uses NAS-Port = s / 16 with 16 NAS-IPs.)
      port: portBase + s,
      framedIp: [100, 64 + (Math.floor(s / 250 / 256) % 64), Math.floor(s / 250) % 256, (s % 250) + 2],
      mac: `02-00-${[24, 16, 8, 0].map((b) => ((s >>> b) & 0xff).toString(16).toUpperCase().padStart(2, '0')).join('-')}`,
      startTs: BASE_TS + randint(0, 3600),
      times: [0, ...Array.from({ length: INTERIMS }, (_, j) => INTERVAL * (j + 1)), INTERIMS * INTERVAL + randint(1, INTERVAL)],
      inCum, outCum, pin, pout,
      cause: [cause[0], cause[1]],
    });
  }
  return out;
}

function attr(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}
const u32 = (n: number | bigint) => { const b = Buffer.alloc(4); b.writeUInt32BE(Number(n)); return b; };
const str = (s: string) => Buffer.from(s, 'utf8');

/** Attributes of packet j of a session (0 = Start, 1..INTERIMS = Interim-Update, last = Stop). */
function packetAttributes(s: Session, j: number): Buffer {
  const status = j === 0 ? 1 : j <= INTERIMS ? 3 : 2;
  const t = s.times[j]!;
  const parts = [
    attr(40, u32(status)), attr(1, str(s.user)), attr(44, str(s.sid)), attr(4, Buffer.from(s.nasIp)),
    attr(32, str(s.nasId)), attr(5, u32(s.port)), attr(61, u32(15)), attr(6, u32(2)), attr(7, u32(1)),
    attr(8, Buffer.from(s.framedIp)), attr(31, str(s.mac)), attr(30, str(s.nasId)), attr(45, u32(1)),
    attr(41, u32(0)), attr(55, u32(s.startTs + t)),
  ];
  if (j > 0) {
    const i = s.inCum[j]!, o = s.outCum[j]!;
    parts.push(attr(46, u32(t)), attr(42, u32(i & 0xffffffffn)), attr(52, u32(i >> 32n)),
      attr(43, u32(o & 0xffffffffn)), attr(53, u32(o >> 32n)), attr(47, u32(s.pin[j]!)), attr(48, u32(s.pout[j]!)));
  }
  if (j === INTERIMS + 1) parts.push(attr(49, u32(s.cause[1])));
  return Buffer.concat(parts);
}

/** "rounds" order: all Starts, then all first Interims, ..., then all Stops (one packet per session in flight). */
export function roundsPackets(sessions: Session[]): Buffer[] {
  const out: Buffer[] = [];
  for (let j = 0; j <= INTERIMS + 1; j++) for (const s of sessions) out.push(packetAttributes(s, j));
  return out;
}

// ------------------------------------------------------------------ UDP client (a NAS with a window)
const md5 = (...b: Buffer[]) => { const h = createHash('md5'); for (const x of b) h.update(x); return h.digest(); };
const ZERO16 = Buffer.alloc(16);

export interface SendResult {
  packets: number;
  answered: number;
  lost: number;
  retransmits: number;
  badResponses: number;
  wallS: number;
  latenciesMs: Float64Array;
  clientCpuS: number;
  timedOut: boolean;
}

export async function sendLoad(opts: {
  port: number; secret: string; attrs: Buffer[]; parallel: number; timeoutMs: number; tries: number; maxSeconds: number;
  onStart?: () => void;
  /** Packets per second, paced from the first send (first sends only; retransmissions are not held back). */
  ratePps?: number;
}): Promise<SendResult> {
  const { attrs, parallel } = opts;
  const secret = Buffer.from(opts.secret);
  const total = attrs.length;
  const latencies = new Float64Array(total).fill(NaN);
  // At most 128 outstanding per socket; identifiers reused least-recently-used first.
  const nsock = Math.ceil(parallel / 128);
  interface Pending { idx: number; buf: Buffer; firstSent: number; sentAt: number; tries: number }
  interface Sock { sock: dgram.Socket; free: number[]; pending: (Pending | null)[] }
  const socks: Sock[] = [];
  for (let i = 0; i < nsock; i++) {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    socks.push({ sock, free: Array.from({ length: 256 }, (_, k) => k), pending: new Array(256).fill(null) });
    await new Promise<void>((res, rej) => { sock.once('error', rej); sock.connect(opts.port, '127.0.0.1', () => { sock.off('error', rej); res(); }); });
  }
  const st = { answered: 0, lost: 0, retransmits: 0, badResponses: 0 };
  let next = 0, inflight = 0;
  const now = () => performance.now();
  return new Promise<SendResult>((resolve) => {
    let t0 = 0;
    let cpu0: NodeJS.CpuUsage;
    let done = false;
    const sendNext = (s: Sock) => {
      const allowed = opts.ratePps ? Math.floor(((now() - t0) / 1000) * opts.ratePps) + 1 : total;
      while (inflight < parallel && next < total && next < allowed && s.free.length > 128) {
        const idx = next++;
        const id = s.free.shift()!;
        const a = attrs[idx]!;
        const buf = Buffer.allocUnsafe(20 + a.length);
        buf[0] = 4; buf[1] = id; buf.writeUInt16BE(buf.length, 2);
        ZERO16.copy(buf, 4); a.copy(buf, 20);
        md5(buf.subarray(0, 4), ZERO16, a, secret).copy(buf, 4);
        const t = now();
        s.pending[id] = { idx, buf, firstSent: t, sentAt: t, tries: 1 };
        inflight++;
        s.sock.send(buf);
      }
    };
    const pump = () => { for (const s of socks) sendNext(s); maybeDone(); };
    const complete = (s: Sock, id: number) => { s.pending[id] = null; s.free.push(id); inflight--; };
    const maybeDone = () => { if (!done && next >= total && inflight === 0) finish(false); };
    const finish = (timedOut: boolean) => {
      done = true;
      const wallS = (now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(timer); clearTimeout(guard);
      if (pacer) clearInterval(pacer);
      for (const s of socks) s.sock.close();
      resolve({ packets: total, ...st, wallS, latenciesMs: latencies, clientCpuS: (cpu.user + cpu.system) / 1e6, timedOut });
    };
    for (const s of socks) {
      s.sock.on('message', (msg) => {
        if (msg.length < 20) { st.badResponses++; return; }
        const p = s.pending[msg[1]!];
        const len = msg.readUInt16BE(2);
        if (!p || msg[0] !== 5 || len < 20 || len > msg.length) { st.badResponses++; return; }
        if (!md5(msg.subarray(0, 4), p.buf.subarray(4, 20), msg.subarray(20, len), secret).equals(msg.subarray(4, 20))) {
          st.badResponses++;
          return;
        }
        latencies[p.idx] = now() - p.firstSent;
        st.answered++;
        complete(s, msg[1]!);
        pump();
      });
      s.sock.on('error', (e) => console.error(`bench: socket error ${e.message}`));
    }
    // Retransmit like a NAS: the same packet again after timeoutMs, at most `tries` sends in all.
    const timer = setInterval(() => {
      const t = now();
      for (const s of socks) {
        for (let id = 0; id < 256; id++) {
          const p = s.pending[id];
          if (!p || t - p.sentAt < opts.timeoutMs) continue;
          if (p.tries >= opts.tries) { st.lost++; complete(s, id); continue; }
          p.tries++; p.sentAt = t; st.retransmits++;
          s.sock.send(p.buf);
        }
      }
      pump();
    }, 100);
    const pacer = opts.ratePps ? setInterval(pump, 2) : null;
    const guard = setTimeout(() => {
      console.error(`bench: --max-seconds ${opts.maxSeconds} reached, giving up`);
      for (const s of socks) for (let id = 0; id < 256; id++) if (s.pending[id]) { st.lost++; complete(s, id); }
      st.lost += total - next; next = total;
      finish(true);
    }, opts.maxSeconds * 1000);
    opts.onStart?.();
    t0 = now();
    cpu0 = process.cpuUsage();
    pump();
  });
}

// ------------------------------------------------------------------ /proc CPU
function procCpuS(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds of PostgreSQL processes: backends of `db`, and the cluster's shared background processes. */
function pgCpu(db: string): Map<number, { kind: 'backend' | 'aux'; cpu: number }> {
  const out = new Map<number, { kind: 'backend' | 'aux'; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const m = /^postgres: [^:]+: (\S+) (\S+) (\S+\(\d+\)|\[local\])/.exec(cmd);
      if (m && m[2] !== db) continue; // backend of another database: someone else's
      const cpu = procCpuS(Number(d));
      if (cpu !== null) out.set(Number(d), { kind: m ? 'backend' : 'aux', cpu });
    } catch { /* gone */ }
  }
  return out;
}

function pgDelta(a: ReturnType<typeof pgCpu>, b: ReturnType<typeof pgCpu>): { backend: number; aux: number } {
  const r = { backend: 0, aux: 0 };
  for (const [pid, v] of b) r[v.kind] += v.cpu - (a.get(pid)?.cpu ?? 0);
  return r;
}

function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  return (f.reduce((x, y) => x + y, 0) - f[3]! - f[4]!) / CLK_TCK;
}

// ------------------------------------------------------------------ database and daemon
export function dbUrlFor(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = '/' + name;
  return u.toString();
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DATABASE_URL: '' } });
  if (r.status !== 0) throw new Error(`radtrack ${args.filter((a) => !a.startsWith('postgres')).join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Daemon { child: ChildProcess; logFile: string; exited: Promise<number | null> }

async function startDaemon(dbArgs: string[], port: number, o: IngestOptions, logFile: string): Promise<Daemon> {
  const args = [...(o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProf] : []), BIN, ...dbArgs, 'serve', '--host', '127.0.0.1',
    '--port', String(port)];
  if (o.batchSize !== undefined) args.push('--batch-size', String(o.batchSize));
  if (o.batchDelay !== undefined) args.push('--batch-delay', String(o.batchDelay));
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, DATABASE_URL: '' } });
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const reap = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}):\n${readFileSync(logFile, 'utf8')}`);
    if (readFileSync(logFile, 'utf8').includes('serve: listening on')) break;
    if (Date.now() - t0 > 60_000) { child.kill('SIGKILL'); throw new Error('daemon did not start within 60 s'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, logFile, exited };
}

/** SIGTERM, then SIGKILL after 30 s. False when it had to be killed. */
async function stopDaemon(d: Daemon): Promise<boolean> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return true;
  d.child.kill('SIGTERM');
  let killed = false;
  const t = setTimeout(() => { killed = true; d.child.kill('SIGKILL'); }, 30_000);
  await d.exited;
  clearTimeout(t);
  return !killed;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(what + ': no answer within ' + ms / 1000 + ' s')), ms);
    p.then(
      (v) => { clearTimeout(t); resolve(v); },
      (e: unknown) => { clearTimeout(t); reject(e); },
    );
  });
}

// ------------------------------------------------------------------ psql (background, history, NAS clock)
/** Runs SQL through psql: PostgreSQL by URL, embedded through the daemon's unix socket. */
function psql(target: { url?: string; socketDir?: string }, args: string[]): string {
  const conn = target.url ? ['-d', target.url] : ['-h', target.socketDir!, '-U', 'postgres', '-d', 'postgres'];
  const r = spawnSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', ...conn, ...args], { encoding: 'utf8', timeout: 3_600_000 });
  if (r.status !== 0) throw new Error(`psql ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** N closed sessions of other subscribers spread over 2025, in chunks of 500,000 rows, then ANALYZE. */
function historySql(n: number, from: number): string {
  return `SELECT radtrack_ensure_partitions('2025-01-01 00:00:00+00', '2026-01-01 00:00:00+00');
INSERT INTO nas (address, name, secret, port_policy) VALUES ('198.51.100.2', 'bench-history', 'unused-history-secret', 'ignore')
  ON CONFLICT (address) DO NOTHING;
INSERT INTO accounts (username) SELECT 'histsub' || g FROM generate_series(0, 99999) g ON CONFLICT DO NOTHING;
INSERT INTO sessions (nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time,
    input_octets, output_octets, framed_ip, calling_station_id, called_station_id, terminate_cause, close_reason, interim_count)
SELECT (SELECT id FROM nas WHERE address = '198.51.100.2'), NULL, a.id, 'H-' || g, ts, ts + interval '1 hour',
    ts + interval '1 hour', 3600, g * 1000, g * 100,
    ('10.' || (g / 65536 % 256) || '.' || (g / 256 % 256) || '.' || (g % 256))::inet, 'h-mac-' || g, 'bng-h', 'User-Request', 'stop', 11
FROM generate_series(${from + 1}, ${from + n}) g
CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00' + (g % 28000000) * interval '1 second' AS ts) t
JOIN accounts a ON a.username = 'histsub' || (g % 100000);`;
}

// ------------------------------------------------------------------ verification
type Fate = { kind: 'full' } | { kind: 'open' } | { kind: 'restart'; at: number };
interface Expect { s: Session; fate: Fate }
interface VerifyResult {
  expected: number; rows: number; others: number; exact: number; dups: number; journal: number; journalWant: number;
  backgroundOk: boolean; badSample: string[];
}

type Query = <R>(sql: string) => Promise<R[]>;

function wanted(e: Expect): Record<string, string> {
  const s = e.s;
  const last = INTERIMS + 1;
  const common = { username: s.user, login: String(s.startTs), framed_ip: s.framedIp.join('.'), port_key: String(s.port) };
  switch (e.fate.kind) {
    case 'full': return {
      ...common, logout: String(s.startTs + s.times[last]!), session_time: String(s.times[last]),
      input_octets: String(s.inCum[last]), output_octets: String(s.outCum[last]), terminate_cause: s.cause[0], close_reason: 'stop',
    };
    case 'open': return { ...common, logout: 'null', input_octets: '0', output_octets: '0', close_reason: 'null' };
    case 'restart': return {
      ...common, logout: String(e.fate.at), session_time: String(e.fate.at - s.startTs), input_octets: '0', output_octets: '0',
      terminate_cause: 'NAS-Reboot', close_reason: 'nas_restart', logout_estimated: 'true',
    };
  }
}

async function verifyRows(query: Query, expects: Expect[], journalWant: number, bgOpen: number, bgClosed: number): Promise<VerifyResult> {
  type Row = Record<string, unknown> & { sid: string };
  const rows: Row[] = [];
  // Looked up by Acct-Session-Id through the identity index, 2,000 at a time: cheap however large the history,
  // and small results (the embedded host once garbled results above ~128 KB: bench/README.md).
  for (let i = 0; i < expects.length; i += 2000) {
    const ids = expects.slice(i, i + 2000).map((e) => e.s.sid).join(',');
    rows.push(...await query<Row>(`SELECT s.acct_session_id AS sid, a.username, extract(epoch FROM s.login)::bigint AS login,
             extract(epoch FROM s.logout)::bigint AS logout, s.session_time, s.input_octets, s.output_octets,
             s.terminate_cause, s.close_reason, s.logout_estimated, host(s.framed_ip) AS framed_ip, p.port_key
      FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN ports p ON p.id = s.port_id
      WHERE s.acct_session_id = ANY('{${ids}}'::text[])`));
  }
  const bySid = new Map<string, Row[]>();
  for (const r of rows) { const l = bySid.get(r.sid) ?? []; l.push(r); bySid.set(r.sid, l); }
  const all = Number((await query<{ n: string }>(
    `SELECT count(*) AS n FROM sessions WHERE acct_session_id NOT LIKE 'BG-%' AND acct_session_id NOT LIKE 'H-%'`))[0]!.n);
  const bg = (await query<{ open: string; closed: string }>(`SELECT count(*) FILTER (WHERE logout IS NULL) AS open,
      count(*) FILTER (WHERE logout IS NOT NULL) AS closed FROM sessions WHERE acct_session_id LIKE 'BG-%'`))[0]!;
  const res: VerifyResult = {
    expected: expects.length, rows: rows.length, others: all - rows.length, exact: 0, dups: 0, journal: 0, journalWant,
    backgroundOk: Number(bg.open) === bgOpen && Number(bg.closed) === bgClosed, badSample: [],
  };
  for (const l of bySid.values()) if (l.length > 1) res.dups++;
  for (const e of expects) {
    const l = bySid.get(e.s.sid) ?? [];
    const r = l[0];
    const bad = !r || l.length !== 1 ? ['row count ' + l.length]
      : Object.entries(wanted(e)).filter(([k, v]) => String(r[k]) !== v).map(([k, v]) => `${k}=${String(r[k])} want ${v}`);
    if (bad.length === 0) res.exact++;
    else if (res.badSample.length < 5) res.badSample.push(`${e.s.sid} (${e.fate.kind}): ${bad.join(', ')}`);
  }
  res.journal = Number((await query<{ n: string }>('SELECT count(*) AS n FROM journal'))[0]!.n);
  return res;
}

// ------------------------------------------------------------------ main
const pct = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Largest RSS of pid while `p` runs, sampled every 200 ms. */
async function maxRssDuring<T>(pid: number, p: Promise<T>): Promise<[T, number]> {
  let max = rssMb(pid);
  const t = setInterval(() => { const v = rssMb(pid); if (v > max) max = v; }, 200);
  try {
    const r = await p;
    const v = rssMb(pid);
    return [r, Math.max(max, v)];
  } finally {
    clearInterval(t);
  }
}

/** The Accounting-On of a NAS restart at `ts`. */
function accountingOn(ts: number): Buffer {
  return Buffer.concat([attr(40, u32(7)), attr(4, Buffer.from([192, 0, 2, 1])), attr(32, str('bng-01')), attr(41, u32(0)),
    attr(55, u32(ts)), attr(49, u32(11))]);
}

export interface PhaseFigures {
  packets: number; answered: number; lost: number; retransmits: number; wallS: number; pps: number;
  p50Ms: number; p99Ms: number; maxMs: number; cpuUsPerPacket?: number; daemonUsPerPacket?: number; dbUsPerPacket?: number;
  busyPct?: number; otherPct?: number;
}

export interface IngestFigures {
  backend: string; parallel: number; sessions: number; history: number; bgClosed: number; bgOpen: number;
  load: PhaseFigures; halfRate?: PhaseFigures & { ratePps: number };
  open?: PhaseFigures; rssMaxMb?: number; rssOpenSessions?: number;
  storm?: PhaseFigures & { onAckMs: number; absorbS: number; closed: number };
  historyLoadS?: number;
  rows: VerifyResult; rowsOk: boolean;
}

export async function runIngest(o: IngestOptions): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'radtrack-bench-'));
  const logFile = join(work, 'daemon.log');
  const baseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  let dbArgs: string[];
  let connect: () => pg.Client;
  let admin: pg.Client | null = null;
  let daemon: Daemon | null = null;
  let dataDir: string | null = null;
  const backend = o.embedded ? 'embedded' : 'postgres';
  let ok = false;
  const log = (m: string) => console.error(`[bench] ${m}`);
  const cleanup = async () => {
    if (daemon) await stopDaemon(daemon).catch(() => undefined);
    daemon = null;
    if (!o.keep) {
      if (admin) await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`).catch((e: Error) => log(`drop: ${e.message}`));
      rmSync(work, { recursive: true, force: true });
    } else log(`kept: ${o.embedded ? dataDir : dbUrlFor(baseUrl, DB_NAME)} (daemon log ${logFile})`);
    await admin?.end().catch(() => undefined);
  };
  const onSignal = () => { void cleanup().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let psqlTarget: { url?: string; socketDir?: string };
    if (o.embedded) {
      dataDir = join(work, 'data');
      dbArgs = ['--data-dir', dataDir];
      connect = () => { throw new Error('embedded: verified in-process'); };
      psqlTarget = { socketDir: join(dataDir, 'run') };
    } else {
      admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${DB_NAME}`);
      const url = dbUrlFor(baseUrl, DB_NAME);
      dbArgs = ['--db', url];
      connect = () => new pg.Client({ connectionString: url });
      psqlTarget = { url };
    }
    log(`backend ${backend}: migrate, nas add 127.0.0.1 (port policy ${o.portPolicy})`);
    cli([...dbArgs, 'migrate']);
    cli([...dbArgs, 'nas', 'add', '127.0.0.1', '--secret', SECRET, '--name', 'bench', '--port-policy', o.portPolicy]);

    const port = await freeUdpPort();
    daemon = await startDaemon(dbArgs, port, o, logFile);
    const pid = daemon.child.pid!;
    log(`daemon pid ${pid} on udp 127.0.0.1:${port}${o.batchSize ? ` batch-size ${o.batchSize}` : ''}${o.batchDelay !== undefined ? ` batch-delay ${o.batchDelay}` : ''}`);
    // The load is dated 2026-01-01 (like the shared harness's): trust this NAS's clock, as run.sh does, or
    // radtrack would take arrival times for events months away (docs/accounting.md §3). The registry
    // rereads the nas table every ~2 s.
    // updated_at moves too: the listener rereads the NAS clients only when count/max(updated_at) changed.
    psql(psqlTarget, ['-c', "UPDATE nas SET max_clock_offset = NULL, updated_at = now() WHERE address = '127.0.0.1'"]);
    if (o.bgClosed + o.bgOpen > 0) {
      log(`background: ${o.bgClosed} closed + ${o.bgOpen} open sessions of other subscribers (product-reset.sql)`);
      psql(psqlTarget, ['-v', `closed=${o.bgClosed}`, '-v', `open=${o.bgOpen}`, '-f', join(ROOT, 'bench', 'freeradius-compare', 'product-reset.sql')]);
    }
    if (o.setupSql) psql(psqlTarget, ['-c', o.setupSql]);
    let historyLoadS: number | undefined;
    if (o.history > 0) {
      const t = performance.now();
      for (let done = 0; done < o.history; done += 500_000) {
        psql(psqlTarget, ['-c', historySql(Math.min(500_000, o.history - done), done)]);
        log(`history: ${Math.min(o.history, done + 500_000)} / ${o.history} closed sessions`);
      }
      psql(psqlTarget, ['-c', 'ANALYZE']);
      historyLoadS = (performance.now() - t) / 1000;
    }
    await new Promise((r) => setTimeout(r, 3000));

    const send = (attrs: Buffer[], parallel: number, extra: { onStart?: () => void; ratePps?: number; timeoutMs?: number; tries?: number } = {}) => sendLoad({
      port, secret: SECRET, attrs, parallel: Math.min(parallel, attrs.length),
      timeoutMs: extra.timeoutMs ?? o.timeoutMs, tries: extra.tries ?? o.tries, maxSeconds: o.maxSeconds, onStart: extra.onStart, ratePps: extra.ratePps,
    });
    const figures = (r: SendResult): PhaseFigures => {
      const lat = Float64Array.from(r.latenciesMs.filter((x) => !Number.isNaN(x))).sort();
      return {
        packets: r.packets, answered: r.answered, lost: r.lost, retransmits: r.retransmits, wallS: r.wallS, pps: r.answered / r.wallS,
        p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), maxMs: pct(lat, 100),
      };
    };
    /** Runs a send with CPU accounting of the daemon and this database's backends. */
    const measured = async (p: () => Promise<SendResult>): Promise<[SendResult, PhaseFigures]> => {
      const d0 = procCpuS(pid) ?? 0, pg0 = o.embedded ? new Map() as ReturnType<typeof pgCpu> : pgCpu(DB_NAME), busy0 = machineBusyS();
      const r = await p();
      const daemonCpu = (procCpuS(pid) ?? 0) - d0;
      const pgd = o.embedded ? { backend: 0, aux: 0 } : pgDelta(pg0, pgCpu(DB_NAME));
      const busy = machineBusyS() - busy0;
      const f = figures(r);
      const per = (s: number) => (r.answered ? (s * 1e6) / r.answered : NaN);
      f.daemonUsPerPacket = per(daemonCpu);
      f.dbUsPerPacket = per(pgd.backend + pgd.aux);
      f.cpuUsPerPacket = per(daemonCpu + pgd.backend + pgd.aux);
      f.busyPct = (100 * busy) / r.wallS;
      f.otherPct = (100 * Math.max(0, busy - daemonCpu - pgd.backend - pgd.aux - r.clientCpuS)) / r.wallS;
      return [r, f];
    };
    let accepted = 0;
    const expects: Expect[] = [];

    const warm = buildSessions(o.warmup, o.seed + 1000, 'W', 1_000_000);
    if (warm.length) {
      const w = await send(roundsPackets(warm), o.parallel);
      accepted += w.answered;
      expects.push(...warm.map((s) => ({ s, fate: { kind: 'full' } as Fate })));
      log(`warm-up: ${w.answered}/${w.packets} answered, ${Math.round(w.answered / w.wallS)} pps, lost ${w.lost}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // Sessions opened before the load and left open while it runs (their Starts only).
    const opened = buildSessions(o.open, o.seed + 2000, 'O', 2_000_000);
    let openFig: PhaseFigures | undefined;
    if (opened.length) {
      const [r, f] = await measured(() => send(opened.map((s) => packetAttributes(s, 0)), Math.max(o.parallel, 256)));
      accepted += r.answered;
      openFig = f;
      log(`open: ${r.answered}/${r.packets} Starts answered, ${Math.round(f.pps)} pps, lost ${r.lost}; daemon RSS ${rssMb(pid).toFixed(0)} MB`);
    }

    const main = buildSessions(o.sessions, o.seed, '', 0);
    const [[r, loadFig], rssMax] = await maxRssDuring(pid, measured(() => send(roundsPackets(main), o.parallel)));
    accepted += r.answered;
    expects.push(...main.map((s) => ({ s, fate: { kind: 'full' } as Fate })));
    log(`load: ${r.answered}/${r.packets} answered, ${Math.round(loadFig.pps)} pps, lost ${r.lost}, max RSS ${rssMax.toFixed(0)} MB`);

    let halfFig: (PhaseFigures & { ratePps: number }) | undefined;
    if (o.halfRate > 0) {
      const rate = Math.max(1, Math.round(loadFig.pps * o.halfRate));
      const half = buildSessions(Math.max(o.parallel, Math.round(o.sessions / 2)), o.seed + 3000, 'L', 3_000_000);
      const [hr, hf] = await measured(() => send(roundsPackets(half), 4096, { ratePps: rate }));
      accepted += hr.answered;
      expects.push(...half.map((s) => ({ s, fate: { kind: 'full' } as Fate })));
      halfFig = { ...hf, ratePps: rate };
      log(`paced at ${rate} pps (${o.halfRate} x ${Math.round(loadFig.pps)}): p50 ${hf.p50Ms.toFixed(1)} ms, p99 ${hf.p99Ms.toFixed(1)} ms, lost ${hr.lost}`);
    }

    let stormFig: IngestFigures['storm'];
    if (o.storm) {
      // The NAS restarts (Accounting-On, dated after every login so far) and its subscribers come back at once:
      // a Start for every port of the open sessions, new Acct-Session-Ids, as fast as the client can send.
      const R = BASE_TS + 7200; // two hours after the first logins: later than every login of the load
      const back = buildSessions(o.open, o.seed + 4000, 'R', 2_000_000);
      for (const [i, s] of back.entries()) s.startTs = R + 1 + Math.floor(i / 1000);
      const closedBefore = opened.length;
      const t0 = performance.now();
      let onAckMs = NaN;
      const [[on, starts], f] = await (async () => {
        const onP = send([accountingOn(R)], 1, { timeoutMs: 5000, tries: 60 }).then((x) => { onAckMs = performance.now() - t0; return x; });
        const [sr, sf] = await measured(() => send(back.map((s) => packetAttributes(s, 0)), o.stormParallel, { timeoutMs: 5000, tries: 10 }));
        return [[await onP, sr], sf] as const;
      })();
      const absorbS = (performance.now() - t0) / 1000;
      accepted += on.answered + starts.answered;
      expects.push(...opened.map((s) => ({ s, fate: { kind: 'restart', at: R } as Fate })));
      expects.push(...back.map((s) => ({ s, fate: { kind: 'open' } as Fate })));
      stormFig = { ...f, lost: f.lost + on.lost, onAckMs, absorbS, closed: closedBefore };
      log(`storm: Accounting-On answered after ${(onAckMs / 1000).toFixed(1)} s (closing ${closedBefore}), ${starts.answered}/${starts.packets} Starts, all absorbed in ${absorbS.toFixed(1)} s, lost ${stormFig.lost}, retransmits ${starts.retransmits + on.retransmits}`);
    } else {
      expects.push(...opened.map((s) => ({ s, fate: { kind: 'open' } as Fate })));
    }

    // Rows are checked after the daemon stopped (all answered packets are committed by then). PostgreSQL: a
    // plain connection. Embedded: this process opens the data dir itself.
    const stopped = await stopDaemon(daemon);
    if (!stopped) log('daemon did not exit within 30 s of SIGTERM; killed');
    let v: VerifyResult;
    const verify = (q: Query) => withTimeout(verifyRows(q, expects, accepted, o.bgOpen, o.bgClosed), 600_000, 'verify');
    if (o.embedded) {
      const { openDatabase } = await import('../src/db/open.ts');
      const db = await withTimeout(openDatabase({ kind: 'embedded', dataDir: dataDir! }, { role: 'bench-verify', exclusive: true, migrate: false }), 120_000, 'open embedded db');
      try {
        v = await verify(async (sql) => (await db.knex.raw(sql)).rows);
      } finally {
        await db.close();
      }
    } else {
      const client = connect();
      await client.connect();
      try {
        v = await verify(async (sql) => (await client.query(sql)).rows);
      } finally {
        await client.end();
      }
    }
    const daemonLog = readFileSync(logFile, 'utf8');
    const errors = daemonLog.split('\n').filter((l) => /error|warn/i.test(l));
    const lostAll = loadFig.lost + (halfFig?.lost ?? 0) + (stormFig?.lost ?? 0) + (openFig?.lost ?? 0);
    ok = v.rows === v.expected && v.exact === v.expected && v.dups === 0 && v.others === 0 && v.backgroundOk
      && v.journal === v.journalWant && lostAll === 0 && r.answered === r.packets;

    const fmt = (f: PhaseFigures) => `${Math.round(f.pps)} pps, p50/p99/max ${f.p50Ms.toFixed(1)}/${f.p99Ms.toFixed(1)}/${f.maxMs.toFixed(0)} ms, ` +
      `CPU ${f.daemonUsPerPacket?.toFixed(0)} + ${f.dbUsPerPacket?.toFixed(0)} = ${f.cpuUsPerPacket?.toFixed(0)} us/packet (daemon + db), ` +
      `busy ${f.busyPct?.toFixed(0)} %, other ${f.otherPct?.toFixed(0)} %, lost ${f.lost}, retransmits ${f.retransmits}`;
    const rowsTable: [string, string][] = [
      ['backend', o.embedded ? 'embedded (PGlite, in the daemon process)' : `postgres ${new URL(baseUrl).host}/${DB_NAME}`],
      ['background / history', `${o.bgClosed} closed + ${o.bgOpen} open / ${o.history} closed${historyLoadS ? ` (loaded in ${historyLoadS.toFixed(0)} s)` : ''}`],
      ['load', `${o.sessions} sessions x ${INTERIMS + 2} = ${r.packets} packets, window ${o.parallel} (+ warm-up ${warm.length} sessions)`],
      ['batch size / delay', `${o.batchSize ?? 'default'} / ${o.batchDelay ?? 'default'}`],
      ...(openFig ? [['open sessions (Starts)', `${opened.length}: ${fmt(openFig)}`]] as [string, string][] : []),
      ['measured load', fmt(loadFig)],
      ['daemon max RSS during the load', `${rssMax.toFixed(0)} MB${opened.length ? ` (${opened.length} sessions open)` : ''}`],
      ...(halfFig ? [['paced load', `at ${halfFig.ratePps} pps (${o.halfRate} x max): ${fmt(halfFig)}`]] as [string, string][] : []),
      ...(stormFig ? [['reconnect storm', `Accounting-On closing ${stormFig.closed} sessions answered after ${(stormFig.onAckMs / 1000).toFixed(1)} s; ` +
        `${opened.length} Starts: all absorbed ${stormFig.absorbS.toFixed(1)} s after the On; Starts ${fmt(stormFig)}`]] as [string, string][] : []),
      ['rows expected/found/exact/dups/unexpected', `${v.expected}/${v.rows}/${v.exact}/${v.dups}/${v.others}; background ${v.backgroundOk ? 'untouched' : 'CHANGED'}`],
      ['journal rows', `${v.journal} (packets accepted: ${v.journalWant})`],
      ['daemon log warnings/errors', String(errors.length)],
    ];
    const w = Math.max(...rowsTable.map(([k]) => k.length));
    for (const [k, val] of rowsTable) console.log(`${k.padEnd(w)}  ${val}`);
    for (const b of v.badSample) console.log(`  BAD ROW ${b}`);
    for (const e of errors.slice(0, 5)) console.log(`  daemon: ${e}`);
    const out: IngestFigures = {
      backend, parallel: o.parallel, sessions: o.sessions, history: o.history, bgClosed: o.bgClosed, bgOpen: o.bgOpen,
      load: loadFig, halfRate: halfFig, open: openFig, rssMaxMb: rssMax, rssOpenSessions: opened.length, storm: stormFig,
      historyLoadS, rows: v, rowsOk: ok,
    };
    if (o.jsonOut) writeFileSync(o.jsonOut, JSON.stringify(out, null, 1));
    console.log(`radtrack_pps=${Math.round(loadFig.pps)} rows_ok=${ok ? 'yes' : 'no'} backend=${backend} p=${o.parallel} ` +
      `p50_ms=${loadFig.p50Ms.toFixed(1)} p99_ms=${loadFig.p99Ms.toFixed(1)} cpu_us_per_packet=${loadFig.cpuUsPerPacket!.toFixed(0)}` +
      ` rss_mb=${rssMax.toFixed(0)} batch_size=${o.batchSize ?? 'default'} sessions=${o.sessions} history=${o.history}`);
    return ok ? 0 : 1;
  } catch (err) {
    log(`ERROR: ${(err as Error).message}`);
    if (daemon) log(`daemon log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    return 2;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function main(argv: string[]): Promise<number> {
  let o: IngestOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  return runIngest(o);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
