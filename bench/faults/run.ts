// `npm run faults`: the fault suite. The real `radtrack serve` (a child process on a free UDP port, one registered
// NAS) on a fresh PostgreSQL database and on a fresh embedded data dir, under SIGKILL and SIGTERM mid-load, a
// PostgreSQL outage, bad input at volume, a full duplicate cache, a full disk, and other local users. Every check
// asserts; the script prints one table and exits 1 if any check failed.
//
//   npm run faults [-- --short] [--backend postgres|embedded|both]
//
// --short: the bounded version .ci/run runs (fewer packets and stop rounds). PostgreSQL: database radtrack_faults on
// DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres), created and dropped.
import { badInput, dedupeCache, diskFull, ownerOnly, postgresOutage, stopsMidLoad } from './checks.ts';
import { log, makeBackend, type BackendKind } from './harness.ts';
import { FULL, SHORT, Suite, type FigureRow } from './suite.ts';

function parse(argv: string[]): { short: boolean; backends: BackendKind[] } {
  let short = false;
  let backends: BackendKind[] = ['postgres', 'embedded'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--short') short = true;
    else if (a === '--backend') {
      const v = argv[++i];
      if (v === 'both') backends = ['postgres', 'embedded'];
      else if (v === 'postgres' || v === 'embedded') backends = [v];
      else throw new Error(`--backend: postgres, embedded or both, not ${v}`);
    } else throw new Error(`unknown argument ${a}\nusage: npm run faults [-- --short] [--backend postgres|embedded|both]`);
  }
  return { short, backends };
}

async function runBackend(kind: BackendKind, short: boolean, rows: FigureRow[]): Promise<void> {
  const sizes = short ? SHORT : FULL;
  const b = await makeBackend(kind);
  const s = new Suite(b, kind, sizes, rows);
  const attempt = async (check: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      s.record(check, false, `ERROR: ${(err as Error).message.split('\n')[0]}`);
      if (s.daemon && !s.daemon.alive) await s.start().catch((e: Error) => log(`cannot restart: ${e.message}`));
    }
  };
  try {
    await s.setup();
    await attempt('SIGKILL mid-load', () => stopsMidLoad(s, 'SIGKILL', sizes.killRounds));
    await attempt('SIGTERM mid-load', () => stopsMidLoad(s, 'SIGTERM', sizes.termRounds));
    if (kind === 'postgres') await attempt('PostgreSQL outage', () => postgresOutage(s));
    if (kind === 'embedded') await attempt('owner-only data dir and socket', () => ownerOnly(s));
    await attempt('bad input', () => badInput(s));
    await attempt('dedupe cache', () => dedupeCache(s));
    s.record('daemon peak RSS (VmHWM) over the run', true, `${(s.peakRssKb / 1024).toFixed(0)} MB over ${s.restarts} daemon starts; client retransmits ${s.client.figures.retransmits}, bad responses ${s.client.figures.badResponses}`);
  } catch (err) {
    s.record('setup', false, `ERROR: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await s.close().catch(() => undefined);
    await b.close();
  }
  if (kind === 'embedded') {
    try {
      await diskFull('embedded', sizes, rows);
    } catch (err) {
      rows.push({ backend: 'embedded', check: 'disk full', ok: false, figures: `ERROR: ${(err as Error).message.split('\n')[0]}` });
    }
  }
}

function printTable(rows: FigureRow[]): void {
  const w = (f: (r: FigureRow) => string) => Math.max(...rows.map((r) => f(r).length));
  const wb = w((r) => r.backend), wc = w((r) => r.check);
  console.log(`${'backend'.padEnd(wb)}  ${'check'.padEnd(wc)}  result  figures`);
  for (const r of rows) console.log(`${r.backend.padEnd(wb)}  ${r.check.padEnd(wc)}  ${(r.ok ? 'ok' : 'FAILED').padEnd(6)}  ${r.figures}`);
}

const { short, backends } = parse(process.argv.slice(2));
const t0 = Date.now();
const rows: FigureRow[] = [];
for (const kind of backends) await runBackend(kind, short, rows);
printTable(rows);
const failed = rows.filter((r) => !r.ok).length;
console.log(`faults${short ? ' --short' : ''}: ${rows.length - failed} passed, ${failed} failed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(failed === 0 ? 0 : 1);
