// One backend's run of the fault suite: a fresh database, the daemon, the NAS client, the ground truth, and
// the figures table's rows. The checks themselves are in checks.ts.
import { join } from 'node:path';
import { withTimeout } from '../ingest.ts';
import { cli, DaemonProcess, freePorts, log, memoryOf, openForChecks, scrape, SECRET, sleep, type Backend } from './harness.ts';
import { makeSessions, NasClient, type SessionTruth } from './nas-client.ts';
import { verifyTruth, type Verdict } from './verify.ts';

export interface FigureRow { backend: string; check: string; ok: boolean; figures: string }

export interface Sizes {
  killRounds: number;
  termRounds: number;
  sessionsPerRound: number;
  outageMs: number;
  fuzz: number;
  wrongSecret: number;
  forged: number;
  replays: number;
  unknownSources: number;
  dedupePackets: number;
  diskFullSessions: number;
}

export const SHORT: Sizes = {
  killRounds: 2, termRounds: 1, sessionsPerRound: 150, outageMs: 4000, fuzz: 10_000, wrongSecret: 2000, forged: 2000,
  replays: 2000, unknownSources: 1600, dedupePackets: 10_000, diskFullSessions: 1500,
};
export const FULL: Sizes = {
  killRounds: 3, termRounds: 3, sessionsPerRound: 600, outageMs: 15_000, fuzz: 100_000, wrongSecret: 10_000, forged: 10_000,
  replays: 10_000, unknownSources: 12_000, dedupePackets: 100_000, diskFullSessions: 4000,
};

export class Suite {
  daemon!: DaemonProcess;
  client!: NasClient;
  ports!: { udp: number; metrics: number };
  readonly logFile: string;
  readonly truth: SessionTruth[] = [];
  /** Login times are within a few hours after this (epoch seconds): inside every clock window. */
  readonly base = Math.floor(Date.now() / 3_600_000) * 3600 - 2 * 86_400;
  private nextPort = 1;
  private seed = 1;
  /** When the latest daemon incarnation exited (ms), for counting an incarnation's answers. */
  lastExitAt = 0;
  peakRssKb = 0;
  restarts = 0;

  constructor(readonly b: Backend, readonly label: string, readonly sizes: Sizes, readonly rows: FigureRow[]) {
    this.logFile = join(b.work, 'daemon.log');
  }

  async setup(): Promise<void> {
    log(`${this.label}: migrate, nas add 127.0.0.1`);
    cli(this.b.dbArgs, ['migrate']);
    cli(this.b.dbArgs, ['nas', 'add', '127.0.0.1', '--name', 'faults-nas'], { RADTRACK_NAS_SECRET: SECRET });
    this.ports = await freePorts();
    await this.start();
    this.client = await NasClient.open(this.ports.udp, SECRET, { parallel: 64, retransmitMs: 1000 });
  }

  async start(): Promise<void> {
    this.daemon = await DaemonProcess.start(this.b, this.ports.udp, this.ports.metrics, this.logFile);
    this.restarts += 1;
    this.watchRss();
  }

  /** Samples the daemon's RSS every 250 ms while it lives (peak over the whole run). */
  private watchRss(): void {
    const d = this.daemon;
    const t = setInterval(() => {
      if (!d.alive) return clearInterval(t);
      try {
        const { hwmKb } = memoryOf(d.pid);
        if (Number.isFinite(hwmKb)) this.peakRssKb = Math.max(this.peakRssKb, hwmKb); // a zombie has no VmHWM
      } catch { /* exiting */ }
    }, 250);
    t.unref();
    void d.exited.then(() => clearInterval(t));
  }

  rss(): number { return memoryOf(this.daemon.pid).rssKb; }

  metrics(): Promise<Map<string, number>> { return scrape(this.ports.metrics); }

  random(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed / 2 ** 32;
  }

  /** New sessions on ports not used before, added to the ground truth. */
  sessions(prefix: string, n: number, interims = 2): SessionTruth[] {
    const s = makeSessions(prefix, n, this.seed + n, this.base, this.nextPort, interims);
    this.nextPort += n;
    this.truth.push(...s);
    return s;
  }

  /** Stops the daemon (SIGTERM), checks the ground truth with the database opened here, starts it again. */
  async verify(extra?: (v: Verdict, knex: import('knex').Knex) => Promise<void>): Promise<Verdict> {
    const r = await this.daemon.terminate();
    this.lastExitAt = Date.now();
    if (r.code !== 0) throw new Error(`daemon exited ${r.code ?? r.signal} on SIGTERM before verification`);
    const db = await openForChecks(this.b);
    let v: Verdict;
    try {
      v = await withTimeout(verifyTruth(db.knex, this.truth, new Date((this.base - 86_400) * 1000), new Date((this.base + 3 * 86_400) * 1000)), 300_000, 'verify');
      await extra?.(v, db.knex);
    } finally {
      await db.close();
    }
    await this.start();
    return v;
  }

  record(check: string, ok: boolean, figures: string): void {
    this.rows.push({ backend: this.label, check, ok, figures });
    log(`${this.label}: ${check}: ${ok ? 'ok' : 'FAILED'}: ${figures}`);
  }

  async until(what: string, cond: () => boolean, ms: number): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    this.client?.close();
    if (this.daemon?.alive) await this.daemon.terminate();
  }
}

export function verdictText(v: Verdict): string {
  const base = `${v.sessions} sessions: ${v.rows} rows, missing ${v.missing}, doubled ${v.doubled}, wrong ${v.wrong}, extra ${v.extra}; ` +
    `usage ${v.usageAccounts} accounts, ${v.usageWrong} wrong (${v.seconds} s, ${v.octets} octets)`;
  return v.problems.length ? `${base}; ${v.problems.slice(0, 3).join('; ')}` : base;
}
