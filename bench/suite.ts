// `npm run bench`: every ingest figure of issue 6 from one run, radtrack and FreeRADIUS side by side.
//
//   npm run bench                          # all sections, 3 alternated rounds, --history 1,000,000
//   npm run bench -- --full                # 5 rounds, --history 10,000,000
//   npm run bench -- --only compare,storm  # sections: compare embedded latency storm history
//   npm run bench -- --rounds 2 --history 200000 --json-out /tmp/bench.json
//
// Sections (bench/README.md has what each one measures and why):
//   compare   FreeRADIUS 3.2 + rlm_sql and radtrack on PostgreSQL under the shared harness (/work/shared/bench:
//             radload.js, 20,000 sessions x 4 = 80,000 packets over a background of 120,000 sessions, the same
//             PostgreSQL cluster), p=64 and p=256, one run of each per round, rounds alternated; medians.
//   embedded  radtrack on its embedded PGlite under the same harness, in the same rounds, p=64 and p=256.
//   latency   radtrack's own client (identical packets) on the 120k background: the maximum rate at p=256, then
//             the same load paced at half of it, p50/p99 ACK latency.
//   storm     100,000 open sessions, the 80,000-packet load while they stay open (daemon RSS), then the NAS's
//             Accounting-On and 100,000 Starts as fast as the client can send (time to absorb, lost).
//   history   the 80,000-packet load (p=64) with N closed sessions already in history (--history N).
// Without FreeRADIUS (no `freeradius` binary or no harness) the compare/embedded sections print radtrack alone:
// through the harness if it is there, else with radtrack's own client on the same background.
// Every run ends with a row check; the last line says rows_ok=yes only if all of them passed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachFlag, intArg, type IngestFigures } from './ingest.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HARNESS_DIR = process.env.RADTRACK_BENCH_HARNESS ?? '/work/shared/bench';
const HARNESS = join(HARNESS_DIR, 'run-bench.sh');
const RUN_SH = join(ROOT, 'bench', 'freeradius-compare', 'run.sh');
const SECTIONS = ['compare', 'embedded', 'latency', 'storm', 'history'] as const;
type Section = (typeof SECTIONS)[number];

interface SuiteOptions {
  only: Set<Section>;
  rounds: number;
  history: number;
  open: number;
  parallels: number[];
  jsonOut?: string;
  /** --smoke: everything 10x smaller, to check the suite itself (figures mean nothing). */
  smoke: boolean;
}

const USAGE = `usage: npm run bench -- [--only ${SECTIONS.join(',')}] [--full] [--rounds N] [--history N] [--open N] [--json-out FILE]
  --full       5 rounds, --history 10000000
  --rounds N   alternated rounds of the side-by-side sections (default 3)
  --history N  closed sessions already in history for the history section (default 1000000)
  --open N     open sessions of the storm section (default 100000)
  --smoke      everything about 10x smaller: checks the suite runs, its figures mean nothing
  (bench/ingest.ts runs one configuration by itself: node --import tsx bench/ingest.ts --help)`;

export function parseSuiteArgs(argv: string[]): SuiteOptions {
  const o: SuiteOptions = { only: new Set(SECTIONS), rounds: 3, history: 1_000_000, open: 100_000, parallels: [64, 256], smoke: false };
  let full = false, rounds: number | undefined, history: number | undefined;
  const int = intArg;
  eachFlag(argv, (flag, val, a) => {
    switch (flag) {
      case '--only': {
        const list = (val() ?? '').split(',').filter(Boolean);
        const bad = list.filter((x) => !(SECTIONS as readonly string[]).includes(x));
        if (bad.length || !list.length) throw new Error(`--only: unknown section ${bad.join(',') || '(none)'}; sections: ${SECTIONS.join(',')}`);
        o.only = new Set(list as Section[]);
        break;
      }
      case '--full': full = true; break;
      case '--smoke': o.smoke = true; break;
      case '--rounds': rounds = int(flag, val(), 1, 20); break;
      case '--history': history = int(flag, val(), 0, 50_000_000); break;
      case '--open': o.open = int(flag, val(), 1, 1_000_000); break;
      case '--json-out': o.jsonOut = val(); break;
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  });
  o.rounds = rounds ?? (full ? 5 : 3);
  o.history = history ?? (full ? 10_000_000 : o.smoke ? 5000 : 1_000_000);
  if (o.smoke) o.open = Math.min(o.open, 5000);
  return o;
}

const log = (m: string) => console.error(`[suite ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Runs a command, its stderr passed through (progress), its stdout captured. */
function run(cmd: string, args: string[], timeoutS: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: '' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    const t = setTimeout(() => { log(`${cmd} ${args.join(' ')}: over ${timeoutS} s, killed`); child.kill('SIGTERM'); }, timeoutS * 1000);
    const reap = () => child.kill('SIGTERM');
    process.once('exit', reap);
    child.once('close', (code) => { clearTimeout(t); process.off('exit', reap); resolve({ code, stdout }); });
  });
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ------------------------------------------------------------------ harness runs
interface HarnessRun { target: string; p: number; pps: number; usPerPacket: number; listenerUs: number; dbUs: number; busyPct: number; otherPct: number; rowsOk: boolean; lost: number }

interface HarnessJson {
  series: { parallel: number; runs: { pps: number; packets: number; radclient: { lost: number; accepted: number }; timed_out: boolean;
    cpu_s: { target: number; postgres: number }; cpu_pct: { machine_busy: number; other: number }; db: { ok: boolean } | null }[] }[];
}

function harnessRuns(target: string, file: string, rowsOkOverride?: boolean): HarnessRun[] {
  const j = JSON.parse(readFileSync(file, 'utf8')) as HarnessJson;
  const out: HarnessRun[] = [];
  for (const s of j.series) for (const r of s.runs) {
    const per = (x: number) => (x * 1e6) / r.packets;
    out.push({
      target, p: s.parallel, pps: r.pps, usPerPacket: per(r.cpu_s.target + r.cpu_s.postgres), listenerUs: per(r.cpu_s.target),
      dbUs: per(r.cpu_s.postgres), busyPct: r.cpu_pct.machine_busy, otherPct: r.cpu_pct.other,
      rowsOk: (rowsOkOverride ?? r.db?.ok ?? false) && r.radclient.lost === 0 && !r.timed_out && r.radclient.accepted === r.packets,
      lost: r.radclient.lost,
    });
  }
  return out;
}

let SMOKE = false;
const LOAD = () => (SMOKE ? ['--sessions', '2000'] : ['--sessions', '20000']);
const BG = () => (SMOKE ? ['--background', '10000,2000'] : ['--background', '100000,20000']);

async function harnessRound(work: string, round: number, what: 'freeradius' | 'postgres' | 'embedded', ps: number[]): Promise<HarnessRun[]> {
  const common = ['--runs', '1', '--workdir', join(work, 'harness'),
    ...(SMOKE ? ['--sessions', '2000', '--warmup-sessions', '200', '--bg-closed', '10000', '--bg-open', '2000'] : [])];
  if (what === 'freeradius') {
    const file = join(work, `fr-${round}.json`);
    const r = await run(HARNESS, [...common, '--parallel', ps.join(','), '--json-out', file], 1800);
    if (r.code !== 0 || !existsSync(file)) { log(`FreeRADIUS round ${round}: harness failed (${r.code})`); return []; }
    return harnessRuns('FreeRADIUS', file);
  }
  if (what === 'postgres') {
    const file = join(work, `rt-${round}.json`);
    const r = await run(RUN_SH, ['--', ...common, '--parallel', ps.join(','), '--json-out', file], 1800);
    if (r.code !== 0 || !existsSync(file)) { log(`radtrack round ${round}: run.sh failed (${r.code})`); return []; }
    return harnessRuns('radtrack (PostgreSQL)', file);
  }
  // Embedded: run.sh checks the rows of the last run only (the harness cannot load expected.csv through the
  // embedded socket), so one parallel level per invocation: every run is checked.
  const out: HarnessRun[] = [];
  for (const p of ps) {
    const file = join(work, `emb-${round}-${p}.json`);
    const r = await run(RUN_SH, ['--embedded', '--', ...common, '--parallel', String(p), '--json-out', file], 1800);
    const ok = /radtrack_embedded_last_run_rows .* rows_ok=yes/.test(r.stdout);
    if (!existsSync(file)) { log(`embedded round ${round} p=${p}: run.sh failed (${r.code})`); continue; }
    out.push(...harnessRuns('radtrack (embedded)', file, ok));
  }
  return out;
}

// ------------------------------------------------------------------ own-client runs (bench/ingest.ts)
async function ingest(work: string, name: string, args: string[]): Promise<IngestFigures | null> {
  const file = join(work, `${name}.json`);
  const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'ingest.ts'), ...args, '--json-out', file], 7200);
  process.stderr.write(r.stdout.split('\n').filter((l) => !l.startsWith('radtrack_pps=')).map((l) => `    ${l}`).join('\n') + '\n');
  if (!existsSync(file)) { log(`${name}: bench/ingest.ts failed (${r.code})`); return null; }
  return JSON.parse(readFileSync(file, 'utf8')) as IngestFigures;
}

// ------------------------------------------------------------------ output
function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...cells.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
const f0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(0));
const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(1));

export async function suite(o: SuiteOptions): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'radtrack-suite-'));
  SMOKE = o.smoke;
  const haveHarness = existsSync(HARNESS);
  const haveFr = haveHarness && ['/usr/sbin/freeradius', '/usr/bin/freeradius'].some(existsSync);
  log(`sections ${[...o.only].join(',')}; rounds ${o.rounds}; FreeRADIUS ${haveFr ? 'installed: side by side' : 'not installed: radtrack alone'}` +
    `${haveHarness ? '' : '; no harness at ' + HARNESS_DIR + ': radtrack\'s own client'}; work dir ${work}`);
  const out: string[] = [];
  const summary: Record<string, unknown> = { started: new Date().toISOString(), rounds: o.rounds, freeradius: haveFr };
  let allOk = true;
  let lastLine = '';
  const started = Date.now();

  // ---- side by side: alternated rounds FreeRADIUS, radtrack PostgreSQL, radtrack embedded
  const sideBySide = o.only.has('compare') || o.only.has('embedded');
  const runs: HarnessRun[] = [];
  const ownCompare: IngestFigures[] = [];
  if (sideBySide) {
    for (let round = 1; round <= o.rounds; round++) {
      const order: ('freeradius' | 'postgres' | 'embedded')[] = [];
      if (haveFr) order.push('freeradius');
      if (o.only.has('compare')) order.push('postgres');
      if (o.only.has('embedded')) order.push('embedded');
      if (round % 2 === 0) order.reverse(); // alternate who goes first
      for (const what of order) {
        if (haveHarness) {
          log(`round ${round}/${o.rounds}: ${what}`);
          const got = await harnessRound(work, round, what, o.parallels);
          if (!got.length) allOk = false;
          runs.push(...got);
        } else if (what !== 'freeradius') {
          for (const p of o.parallels) {
            log(`round ${round}/${o.rounds}: ${what} p=${p} (own client)`);
            const f = await ingest(work, `cmp-${what}-${round}-${p}`, [...LOAD(), '--parallel', String(p), '--background', '100000,20000',
              '--warmup', '2000', ...(what === 'embedded' ? ['--embedded'] : [])]);
            if (!f) { allOk = false; continue; }
            ownCompare.push(f);
            runs.push({ target: what === 'embedded' ? 'radtrack (embedded)' : 'radtrack (PostgreSQL)', p, pps: f.load.pps, usPerPacket: f.load.cpuUsPerPacket!,
              listenerUs: f.load.daemonUsPerPacket!, dbUs: f.load.dbUsPerPacket!, busyPct: f.load.busyPct!, otherPct: f.load.otherPct!, rowsOk: f.rowsOk, lost: f.load.lost });
          }
        }
      }
    }
    for (const r of runs) if (!r.rowsOk) allOk = false;
    const targets = [...new Set(runs.map((r) => r.target))];
    const rows: (string | number)[][] = [];
    const med: Record<string, number> = {};
    for (const p of o.parallels) {
      for (const t of targets) {
        const rs = runs.filter((r) => r.target === t && r.p === p);
        if (!rs.length) continue;
        const pps = median(rs.map((r) => r.pps));
        med[`${t}@${p}`] = pps;
        const fr = med[`FreeRADIUS@${p}`];
        rows.push([p, t, rs.map((r) => f0(r.pps)).join(', '), `**${f0(pps)}**`,
          t === 'FreeRADIUS' || fr === undefined ? '-' : `${(pps / fr).toFixed(2)}x`,
          `${f0(median(rs.map((r) => r.listenerUs)))} + ${f0(median(rs.map((r) => r.dbUs)))} = ${f0(median(rs.map((r) => r.usPerPacket)))}`,
          `${f0(median(rs.map((r) => r.busyPct)))} / ${f0(median(rs.map((r) => r.otherPct)))}`,
          `${rs.filter((r) => r.rowsOk).length}/${rs.length}`]);
      }
    }
    out.push(`### Side by side (${o.rounds} alternated rounds, 80,000 packets over a 120,000-session background, ${haveHarness ? 'radload.js' : 'radtrack\'s own client'})`, '',
      table(['p', 'target', 'packets/s per round', 'median', 'vs FreeRADIUS', 'CPU µs/packet listener + PostgreSQL = total (median)', 'machine busy / other % of 200', 'rows_ok'], rows), '');
    summary.sideBySide = { runs, medians: med };
    const rt = med['radtrack (PostgreSQL)@256'] ?? med['radtrack (PostgreSQL)@64'], fr = med['FreeRADIUS@256'] ?? med['FreeRADIUS@64'];
    const emb = med['radtrack (embedded)@256'] ?? med['radtrack (embedded)@64'];
    if (rt !== undefined) lastLine += `radtrack_pps=${f0(rt)} `;
    if (fr !== undefined) lastLine += `freeradius_pps=${f0(fr)} ${rt !== undefined ? `ratio=${(rt / fr).toFixed(2)} ` : ''}`;
    if (emb !== undefined) lastLine += `embedded_pps=${f0(emb)} ${fr !== undefined ? `embedded_ratio=${(emb / fr).toFixed(2)} ` : ''}`;
  }

  // ---- latency at half of the maximum rate (own client, identical packets, same background)
  if (o.only.has('latency')) {
    log('latency: max rate at p=256, then paced at half of it');
    const f = await ingest(work, 'latency', [...LOAD(), '--parallel', '256', ...BG(), '--warmup', '2000', '--half-rate', '0.5']);
    if (!f || !f.rowsOk) allOk = false;
    if (f) {
      out.push('### ACK latency at half of the maximum rate (radtrack\'s own client, PostgreSQL, 120,000-session background)', '',
        table(['run', 'packets/s', 'p50 ms', 'p99 ms', 'max ms', 'CPU µs/packet daemon + PG', 'rows_ok'], [
          ['max rate, p=256', f0(f.load.pps), f1(f.load.p50Ms), f1(f.load.p99Ms), f0(f.load.maxMs), `${f0(f.load.daemonUsPerPacket)} + ${f0(f.load.dbUsPerPacket)}`, f.rowsOk ? 'yes' : 'no'],
          [`paced at ${f.halfRate?.ratePps} pps (half)`, f0(f.halfRate?.pps), f1(f.halfRate?.p50Ms), f1(f.halfRate?.p99Ms), f0(f.halfRate?.maxMs),
            `${f0(f.halfRate?.daemonUsPerPacket)} + ${f0(f.halfRate?.dbUsPerPacket)}`, f.rowsOk ? 'yes' : 'no'],
        ]), '', `target p99 ≤ 50 ms at half rate: ${(f.halfRate?.p99Ms ?? Infinity) <= 50 ? 'met' : 'missed'}`, '');
      summary.latency = f;
      lastLine += `half_rate_p50_ms=${f1(f.halfRate?.p50Ms)} half_rate_p99_ms=${f1(f.halfRate?.p99Ms)} `;
    }
  }

  // ---- RSS with 100,000 open sessions under load, then the reconnect storm
  if (o.only.has('storm')) {
    log(`storm: ${o.open} open sessions, the load, then Accounting-On + ${o.open} Starts`);
    const f = await ingest(work, 'storm', [...LOAD(), '--parallel', '64', '--warmup', '500', '--open', String(o.open), '--storm']);
    if (!f || !f.rowsOk) allOk = false;
    if (f && f.storm) {
      out.push(`### ${o.open} open sessions: daemon RSS under load, then the reconnect storm (radtrack's own client, PostgreSQL)`, '',
        table(['what', 'figure', 'target'], [
          [`daemon RSS, max during the 80,000-packet load with ${f.rssOpenSessions} sessions open`, `${f0(f.rssMaxMb)} MB`, `≤ 200 MB: ${(f.rssMaxMb ?? Infinity) <= 200 ? 'met' : 'missed'}`],
          [`opening them (${o.open} Starts, p=256)`, `${f0(f.open?.pps)} pps, ${f0(f.open?.cpuUsPerPacket)} µs CPU/packet`, ''],
          [`Accounting-On closing ${f.storm.closed} sessions: answered after`, `${f1(f.storm.onAckMs / 1000)} s`, ''],
          [`reconnect: ${o.open} Starts sent at once after the On (window 1024): all answered after`, `${f1(f.storm.absorbS)} s`, ''],
          ['storm: lost / retransmissions', `${f.storm.lost} / ${f.storm.retransmits}`, `0 lost: ${f.storm.lost === 0 ? 'met' : 'missed'}`],
          ['storm CPU (daemon + PG, Accounting-On included) per Start', `${f0(f.storm.cpuUsPerPacket)} µs`, ''],
          ['rows (every session exact, every packet journaled)', f.rowsOk ? 'yes' : 'no', ''],
        ]), '');
      summary.storm = f;
      lastLine += `rss_mb=${f0(f.rssMaxMb)} storm_s=${f1(f.storm.absorbS)} storm_lost=${f.storm.lost} `;
    }
  }

  // ---- the load with N sessions in history
  if (o.only.has('history')) {
    log(`history: the load with ${o.history} closed sessions in history`);
    const f = await ingest(work, 'history', [...LOAD(), '--parallel', '64', '--warmup', '2000', ...BG(), '--history', String(o.history)]);
    if (!f || !f.rowsOk) allOk = false;
    if (f) {
      out.push(`### With history (radtrack's own client, PostgreSQL, p=64, 120,000-session background + ${o.history} closed sessions)`, '',
        table(['history', 'packets/s', 'p50 / p99 ms', 'CPU µs/packet daemon + PG = total', 'history load time', 'rows_ok'], [
          [o.history, f0(f.load.pps), `${f1(f.load.p50Ms)} / ${f1(f.load.p99Ms)}`, `${f0(f.load.daemonUsPerPacket)} + ${f0(f.load.dbUsPerPacket)} = ${f0(f.load.cpuUsPerPacket)}`,
            `${f0(f.historyLoadS)} s`, f.rowsOk ? 'yes' : 'no'],
        ]), '');
      summary.history = f;
      lastLine += `history=${o.history} history_pps=${f0(f.load.pps)} `;
    }
  }

  console.log(`\n## radtrack ingest benchmark, ${new Date().toISOString().slice(0, 16)}Z (${((Date.now() - started) / 60000).toFixed(0)} min)\n`);
  console.log(out.join('\n'));
  console.log(`${lastLine}rows_ok=${allOk ? 'yes' : 'no'}`);
  if (o.jsonOut) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(o.jsonOut, JSON.stringify({ ...summary, rowsOk: allOk, text: out.join('\n') }, null, 1));
  }
  rmSync(work, { recursive: true, force: true });
  return allOk ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  let o: SuiteOptions;
  try {
    o = parseSuiteArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  return suite(o);
}
