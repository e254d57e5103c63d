// The fault suite's checks. Each one records a row (passed or not) with its figures; a check that cannot run to
// its end throws, and run.ts records that as a failed row.
import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, mkdirSync, openSync, readdirSync, lstatSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readLock } from '../../src/db/embedded/lock.ts';
import { MAX_UNKNOWN_SOURCES } from '../../src/db/sql/nas.ts';
import { DEDUPE_TTL_MS } from '../../src/ingest/dedupe-cache.ts';
import { MAX_UNKNOWN_SOURCES_PER_FLUSH } from '../../src/ingest/tally.ts';
import { encodePacket } from '../../src/protocol/encode.ts';
import { md5Authenticator } from '../../src/protocol/authenticator.ts';
import { accountingRequest, statusServer } from '../../test/helpers/packets.ts';
import { withTimeout } from '../ingest.ts';
import { adminQuery, log, makeBackend, metricSum, SECRET, sleep, udpReceiveDrops } from './harness.ts';
import { Suite, verdictText } from './suite.ts';

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** SIGKILL or SIGTERM the daemon at random moments of a load, restart it; then the ground truth must hold. */
export async function stopsMidLoad(s: Suite, signal: 'SIGKILL' | 'SIGTERM', rounds: number): Promise<void> {
  const name = `${signal} mid-load x${rounds}`;
  const sessions = s.sessions(signal === 'SIGKILL' ? 'K' : 'T', s.sizes.sessionsPerRound * (rounds + 1));
  const total = sessions.length * 4;
  const ack0 = s.client.figures.acknowledged;
  const rt0 = s.client.figures.retransmits;
  let finished = false;
  const done = s.client.send(sessions).then(() => (finished = true));
  const problems: string[] = [];
  const downMs: number[] = [];
  const termFigures: string[] = [];
  for (let k = 1; k <= rounds; k++) {
    const target = ack0 + Math.floor((total * (k - 0.4 + 0.8 * s.random())) / (rounds + 1));
    await s.until(`${target - ack0} answers`, () => finished || s.client.figures.acknowledged >= target, 600_000);
    if (finished) { problems.push(`load finished before stop ${k}`); break; }
    const pid = s.daemon.pid;
    const t0 = Date.now();
    if (signal === 'SIGKILL') {
      await s.daemon.kill();
      s.lastExitAt = Date.now();
    } else {
      const from = s.lastExitAt + 300;
      const r = await s.daemon.terminate();
      const exitAt = Date.now();
      s.lastExitAt = exitAt;
      await sleep(300);
      const answers = s.client.answerTimes.filter((t) => t > from && t <= exitAt + 300).length;
      const m = /serve: stopped \(accepted (\d+), duplicates (\d+)/.exec(s.daemon.logText());
      const stoppedIn = exitAt - t0;
      if (r.code !== 0) problems.push(`stop ${k}: exit ${r.code ?? r.signal}`);
      if (!m) problems.push(`stop ${k}: no "serve: stopped" line`);
      else if (Number(m[1]) + Number(m[2]) !== answers) problems.push(`stop ${k}: daemon answered ${m[1]} + ${m[2]} duplicates, client got ${answers}`);
      termFigures.push(`exit ${r.code ?? r.signal} in ${stoppedIn} ms, ${m?.[1] ?? '?'} accepted = answers ${answers - Number(m?.[2] ?? 0)}`);
    }
    log(`${s.label}: ${signal} ${k}/${rounds} (pid ${pid}) at ${s.client.figures.acknowledged - ack0}/${total} answers`);
    await s.start();
    downMs.push(Date.now() - t0);
  }
  await withTimeout(done, 600_000, 'the load to finish');
  const v = await s.verify();
  const ok = problems.length === 0 && v.ok;
  s.record(name, ok,
    `${total} packets acknowledged, ${s.client.figures.retransmits - rt0} retransmits, down ${Math.min(...downMs)}-${Math.max(...downMs)} ms each; ` +
    (termFigures.length ? `stops: ${termFigures.join('; ')}; ` : '') + verdictText(v) + (problems.length ? `; ${problems.join('; ')}` : ''));
}

/** PostgreSQL refuses and drops the database's connections mid-load; nothing is answered until it is back. */
export async function postgresOutage(s: Suite): Promise<void> {
  const b = s.b;
  const sessions = s.sessions('O', s.sizes.sessionsPerRound * 3);
  const total = sessions.length * 4;
  const ack0 = s.client.figures.acknowledged;
  const done = s.client.send(sessions);
  await s.until('a third of the load', () => s.client.figures.acknowledged >= ack0 + total / 3, 600_000);
  const m0 = await s.metrics();
  await adminQuery(b.adminUrl!, `ALTER DATABASE ${b.dbName} WITH ALLOW_CONNECTIONS false`);
  await adminQuery(b.adminUrl!, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [b.dbName]);
  const down = Date.now();
  const ackAtDown = s.client.figures.acknowledged;
  await sleep(s.sizes.outageMs);
  const up = Date.now();
  // A batch that committed just before the cut may still be answered within a few ms of it.
  const answersDown = s.client.answerTimes.filter((t) => t > down + 200 && t <= up).length;
  const m1 = await s.metrics();
  await adminQuery(b.adminUrl!, `ALTER DATABASE ${b.dbName} WITH ALLOW_CONNECTIONS true`);
  const back = Date.now();
  await s.until('an answer after the outage', () => s.client.answerTimes.some((t) => t > back), 120_000);
  const recoveryMs = s.client.answerTimes.find((t) => t > back)! - back;
  await withTimeout(done, 600_000, 'the load to finish');
  const text = s.daemon.logText();
  const logged = /ingest: database unavailable/.test(text) && /ingest: database writes succeed again/.test(text);
  const failing = metricSum(m1, 'radtrack_database_writes_failing');
  const unacked = metricSum(m1, 'radtrack_unacknowledged_packets_total') - metricSum(m0, 'radtrack_unacknowledged_packets_total');
  const v = await s.verify();
  s.record(`PostgreSQL outage ${s.sizes.outageMs / 1000} s mid-load`, answersDown === 0 && logged && failing === 1 && v.ok,
    `answers while down ${answersDown} (${s.client.figures.acknowledged - ackAtDown} in all until back), not_stored ${unacked}, ` +
    `writes_failing gauge ${failing}, recovered ${recoveryMs} ms after the database came back, log lines ${logged ? 'yes' : 'MISSING'}; ${verdictText(v)}`);
}

/** Sends `datagrams` from `sock`, then a Status-Server probe from the NAS: answered means all were handled. */
async function sendThenProbe(s: Suite, sock: dgram.Socket, datagrams: Iterable<Buffer>, probes: { n: number }): Promise<void> {
  const port = s.ports.udp;
  let i = 0;
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) => sock.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    if (++i % 1000 === 0) await probe(s, probes);
  }
  await probe(s, probes);
}

let probeSocket: dgram.Socket | null = null;
async function probe(s: Suite, probes: { n: number }): Promise<void> {
  if (!probeSocket) {
    probeSocket = dgram.createSocket('udp4');
    await new Promise<void>((r) => probeSocket!.bind(0, '127.0.0.1', () => r()));
    probeSocket.unref();
  }
  const sock = probeSocket;
  const id = probes.n++ % 256;
  const req = statusServer(SECRET, id);
  const answered = new Promise<boolean>((resolve) => {
    const t = setTimeout(() => { sock.off('message', on); resolve(false); }, 30_000);
    const on = (msg: Buffer) => { if (msg[1] === id) { clearTimeout(t); sock.off('message', on); resolve(true); } };
    sock.on('message', on);
  });
  sock.send(req, s.ports.udp, '127.0.0.1');
  if (!(await answered)) throw new Error('probe: the daemon did not answer a Status-Server within 30 s');
}

/** Attribute offsets of a packet (header of 20, then type/length pairs). */
function attributeOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let o = 20; o + 2 <= buf.length && buf[o + 1]! >= 2; o += buf[o + 1]!) out.push(o);
  return out;
}

function* fuzzed(pool: Buffer[], n: number, rnd: () => number, counts: Record<string, number>): Generator<Buffer> {
  for (let i = 0; i < n; i++) {
    const base = pool[i % pool.length]!;
    const kind = i % 4;
    const b = Buffer.from(base);
    if (kind === 0) { counts.truncated++; yield b.subarray(0, Math.floor(rnd() * b.length)); continue; }
    if (kind === 1) {
      counts.bitflips++;
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) { const at = Math.floor(rnd() * b.length); b[at]! ^= 1 << Math.floor(rnd() * 8); }
      if (b.equals(base)) b[Math.floor(rnd() * b.length)]! ^= 1; // two flips of one bit undo each other: that is a replay
      yield b;
      continue;
    }
    if (kind === 2) {
      counts.badAttributeLength++;
      const offs = attributeOffsets(b);
      const at = offs[Math.floor(rnd() * offs.length)]!;
      const choice = Math.floor(rnd() * 3);
      b[at + 1] = choice === 0 ? 0 : choice === 1 ? 1 : Math.min(255, b.length - at + 1 + Math.floor(rnd() * 200));
      yield b;
      continue;
    }
    counts.giantLength++;
    const giant = rnd() < 0.5 ? Buffer.concat([b, Buffer.alloc(5000 + Math.floor(rnd() * 3000), 0x41)]) : b;
    giant.writeUInt16BE(4097 + Math.floor(rnd() * (65535 - 4097)), 2);
    yield giant;
  }
}

/** Bad input at volume from the registered NAS's address: fuzz, wrong secret, forged responses, replays; then unknown sources. */
export async function badInput(s: Suite): Promise<void> {
  const z = s.sizes;
  const rnd = () => s.random();
  const probes = { n: 0 };
  const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20, recvBufferSize: 8 << 20 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const replied: Buffer[] = [];
  sock.on('message', (m) => replied.push(m));
  const pool = s.client.answered.slice(-2000);
  if (pool.length === 0) throw new Error('bad input: no accepted packets to mutate (run a load first)');
  const rss0 = s.rss();
  const outcome = (m: Map<string, number>, o: string) => metricSum(m, 'radtrack_packets_total', { outcome: o });
  const reasons = ['malformed', 'bad_authenticator', 'unsupported_code', 'unprocessable', 'accepted', 'duplicate', 'unknown_nas', 'queue_full', 'not_stored'];
  const snap = async () => { const m = await s.metrics(); return Object.fromEntries(reasons.map((r) => [r, outcome(m, r)])) as Record<string, number>; };
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(reasons.map((r) => [r, b[r]! - a[r]!])) as Record<string, number>;
  const only = (d: Record<string, number>, want: Record<string, number>) => reasons.every((r) => d[r] === (want[r] ?? 0));
  const discards = async () => {
    const m = await s.metrics();
    return Object.fromEntries(['malformed', 'bad_authenticator', 'unsupported_code'].map((r) => [r, metricSum(m, 'radtrack_discards_total', { nas: '127.0.0.1', reason: r })]));
  };
  const d0 = await discards();

  // 1. fuzz
  const counts = { truncated: 0, bitflips: 0, badAttributeLength: 0, giantLength: 0 };
  let a = await snap();
  let p = probes.n;
  await sendThenProbe(s, sock, fuzzed(pool, z.fuzz, rnd, counts), probes);
  let d = delta(a, await snap());
  const fuzzDiscarded = d.malformed! + d.bad_authenticator! + d.unsupported_code!;
  const fuzzOk = fuzzDiscarded === z.fuzz && d.accepted === probes.n - p && d.duplicate === 0 && d.unknown_nas === 0 && replied.length === 0;
  s.record(`fuzz: ${z.fuzz} datagrams`, fuzzOk,
    `${counts.truncated} truncated, ${counts.bitflips} bit flips, ${counts.badAttributeLength} bad attribute lengths, ${counts.giantLength} giant Lengths → ` +
    `malformed ${d.malformed}, bad_authenticator ${d.bad_authenticator}, unsupported_code ${d.unsupported_code}; answered ${replied.length}; daemon alive ${s.daemon.alive}`);

  // 2. wrong secret
  a = await snap();
  p = probes.n;
  const wrong = function* () {
    for (let i = 0; i < z.wrongSecret; i++) yield accountingRequest({ statusType: 'Start', sessionId: `W-${i}`, userName: 'intruder', nasPort: 900_000 + i, identifier: i % 256 }, 'not-the-secret');
  };
  await sendThenProbe(s, sock, wrong(), probes);
  d = delta(a, await snap());
  s.record(`wrong secret: ${z.wrongSecret} packets`, only(d, { bad_authenticator: z.wrongSecret, accepted: probes.n - p }) && replied.length === 0,
    `bad_authenticator ${d.bad_authenticator}, answered ${replied.length}`);

  // 3. forged Accounting-Responses sent to the daemon
  a = await snap();
  p = probes.n;
  const forged = function* () {
    for (let i = 0; i < z.forged; i++) {
      const req = pool[i % pool.length]!;
      const bytes = encodePacket({ code: 5, identifier: req[1]!, authenticator: Buffer.alloc(16), attributes: [] });
      md5Authenticator(bytes, req.subarray(4, 20), Buffer.from(SECRET)).copy(bytes, 4);
      yield bytes;
    }
  };
  await sendThenProbe(s, sock, forged(), probes);
  d = delta(a, await snap());
  s.record(`forged responses: ${z.forged}`, only(d, { unsupported_code: z.forged, accepted: probes.n - p }) && replied.length === 0,
    `unsupported_code ${d.unsupported_code}, answered ${replied.length}`);

  // 4. replays of accepted packets from another source port: processed again, and must change nothing
  a = await snap();
  p = probes.n;
  const drops0 = udpReceiveDrops();
  const replays = function* () { for (let i = 0; i < z.replays; i++) yield pool[i % pool.length]!; };
  await sendThenProbe(s, sock, replays(), probes);
  await s.until('answers to the replays', () => replied.length >= z.replays, 60_000).catch(() => undefined);
  d = delta(a, await snap());
  const replayAnswers = replied.length;
  const replaysOk = d.accepted! + d.duplicate! === z.replays + probes.n - p && only({ ...d, accepted: 0, duplicate: 0 }, {}) && replayAnswers === z.replays;
  const discardsNow = await waitDiscards(discards, d0, fuzzDiscarded + z.wrongSecret + z.forged);
  const rss1 = s.rss();
  s.record(`replays: ${z.replays} accepted packets again`, replaysOk,
    `accepted ${d.accepted - (probes.n - p)} (processed again), duplicate ${d.duplicate}, answered ${replayAnswers}` +
    ` (kernel UDP receive-buffer drops meanwhile: ${udpReceiveDrops() - drops0}); totals checked below`);
  s.record('NAS row discard counters (nas table, via /metrics)', discardsNow.ok,
    `malformed +${discardsNow.d.malformed}, bad_authenticator +${discardsNow.d.bad_authenticator}, unsupported_code +${discardsNow.d.unsupported_code} ` +
    `(want ${fuzzDiscarded + z.wrongSecret + z.forged} in all); daemon RSS ${mb(rss0)} before, ${mb(rss1)} after`);
  sock.close();

  // 5. unregistered sources in 127.0.0.0/8, paced so each second's flush lists them (at most MAX_UNKNOWN_SOURCES_PER_FLUSH)
  a = await snap();
  const m0 = await s.metrics();
  const perSecond = Math.floor(MAX_UNKNOWN_SOURCES_PER_FLUSH * 0.8);
  const t0 = Date.now();
  const pkt = accountingRequest({ statusType: 'Start', sessionId: 'U-1', userName: 'stranger', nasPort: 1 }, SECRET);
  let unknownAnswered = 0;
  const fromAddress = async (i: number) => {
    const u = dgram.createSocket('udp4');
    u.on('message', () => unknownAnswered++);
    await new Promise<void>((resolve, reject) => { u.once('error', reject); u.bind(0, `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, () => resolve()); });
    await new Promise<void>((resolve, reject) => u.send(pkt, s.ports.udp, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    u.close();
  };
  for (let i = 0; i < z.unknownSources; i += perSecond) {
    const started = Date.now();
    for (let j = i; j < Math.min(i + perSecond, z.unknownSources); j += 100) {
      await Promise.all(Array.from({ length: Math.min(100, z.unknownSources - j) }, (_, k) => fromAddress(j + k)));
    }
    await sleep(Math.max(0, 1100 - (Date.now() - started)));
  }
  await probe(s, probes);
  await sleep(2500); // two tally flushes
  d = delta(a, await snap());
  const m1 = await s.metrics();
  const unknownTotal = metricSum(m1, 'radtrack_unknown_source_datagrams_total') - metricSum(m0, 'radtrack_unknown_source_datagrams_total');
  const rss2 = s.rss();
  let tableRows = -1;
  const v = await s.verify(async (_v, knex) => {
    tableRows = Number((await knex('unknown_sources').count({ n: '*' }).first())!.n);
  });
  const wantRows = Math.min(z.unknownSources, MAX_UNKNOWN_SOURCES);
  s.record(`unregistered sources: ${z.unknownSources} addresses in 127.0.0.0/8`,
    d.unknown_nas === z.unknownSources && unknownTotal === z.unknownSources && unknownAnswered === 0 && tableRows === wantRows,
    `unknown_nas ${d.unknown_nas}, answered ${unknownAnswered}, unknown_sources rows ${tableRows} (cap ${MAX_UNKNOWN_SOURCES}, ` +
    `≤ ${MAX_UNKNOWN_SOURCES_PER_FLUSH} new a second in memory), sent in ${((Date.now() - t0) / 1000).toFixed(0)} s; RSS ${mb(rss2)}`);
  s.record('after bad input: ground truth', v.ok, verdictText(v));
}

async function waitDiscards(read: () => Promise<Record<string, number>>, d0: Record<string, number>, want: number) {
  let d: Record<string, number> = {};
  for (let i = 0; i < 60; i++) {
    const now = await read();
    d = Object.fromEntries(Object.keys(now).map((k) => [k, now[k]! - (d0[k] ?? 0)]));
    if (Object.values(d).reduce((x, y) => x + y, 0) === want) return { ok: true, d };
    await sleep(500); // the counters reach the NAS row within a second, and /metrics reads it every 5 s
  }
  return { ok: false, d };
}

/** 10^5 distinct packets in a row: the duplicate cache stays bounded and still answers a retransmission. */
export async function dedupeCache(s: Suite): Promise<void> {
  const perSession = 100;
  const n = Math.ceil(s.sizes.dedupePackets / perSession);
  const sessions = s.sessions('D', n, perSession - 2);
  const rss0 = s.rss();
  const t0 = Date.now();
  let peak = rss0;
  s.client.setParallel(200);
  const sampler = setInterval(() => { try { peak = Math.max(peak, s.rss()); } catch { /* gone */ } }, 250);
  await withTimeout(s.client.send(sessions), 900_000, 'the distinct packets');
  clearInterval(sampler);
  s.client.setParallel(64);
  const secs = (Date.now() - t0) / 1000;
  // The last packet answered, retransmitted as it is from the NAS's own port: the cache must answer it.
  const last = s.client.answered[s.client.answered.length - 1]!;
  const m0 = await s.metrics();
  const repeat0 = s.client.figures.repeatAnswers;
  await s.client.raw(last);
  await s.until('the cached answer', () => s.client.figures.repeatAnswers > repeat0, 10_000).catch(() => undefined);
  const m1 = await s.metrics();
  const dup = metricSum(m1, 'radtrack_packets_total', { outcome: 'duplicate' }) - metricSum(m0, 'radtrack_packets_total', { outcome: 'duplicate' });
  const acc = metricSum(m1, 'radtrack_packets_total', { outcome: 'accepted' }) - metricSum(m0, 'radtrack_packets_total', { outcome: 'accepted' });
  const rss1 = s.rss();
  const v = await s.verify();
  const grownMb = (peak - rss0) / 1024;
  const ok = dup === 1 && acc === 0 && s.client.figures.repeatAnswers === repeat0 + 1 && grownMb < 300 && v.ok;
  s.record(`dedupe cache: ${sessions.length * perSession} distinct packets`, ok,
    `${secs.toFixed(0)} s (${(sessions.length * perSession / secs).toFixed(0)} pps; ${secs * 1000 <= DEDUPE_TTL_MS ? 'all' : 'not all'} within the ${DEDUPE_TTL_MS / 1000} s TTL), ` +
    `RSS ${mb(rss0)} → peak ${mb(peak)} → ${mb(rss1)}; retransmission answered from the cache: duplicate +${dup}, accepted +${acc}; ${verdictText(v)}`);
}

/** Embedded database and socket reachable by their owner only. */
export async function ownerOnly(s: Suite): Promise<void> {
  const dataDir = s.b.dataDir!;
  const lock = readLock(dataDir);
  if (!lock) throw new Error('owner-only: no lock file naming the socket');
  const socketPath = join(lock.socketDir, '.s.PGSQL.5432');
  const mode = (p: string) => (lstatSync(p).mode & 0o777).toString(8).padStart(3, '0');
  let loose = 0;
  let files = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      files++;
      const m = lstatSync(p).mode & 0o077;
      if (m !== 0 && !e.isSymbolicLink() && !e.isSocket()) { loose++; if (loose <= 3) log(`owner-only: ${p} is ${mode(p)}`); }
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dataDir);
  const probeJs = `const s=require('net').connect(${JSON.stringify(socketPath)});s.on('connect',()=>{console.log('CONNECTED');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
  const asNobody = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', probeJs], { encoding: 'utf8', timeout: 30_000, cwd: '/' });
  const nobodyConnect = (asNobody.stdout || asNobody.stderr).trim();
  const list = spawnSync('runuser', ['-u', 'nobody', '--', 'ls', dataDir], { encoding: 'utf8', timeout: 30_000, cwd: '/' });
  const ok = mode(dataDir) === '700' && mode(lock.socketDir) === '700' && mode(socketPath) === '600' && loose === 0 && nobodyConnect === 'EACCES' && list.status !== 0;
  s.record('owner-only data dir and socket', ok,
    `data dir ${mode(dataDir)}, socket dir ${mode(lock.socketDir)}, socket ${mode(socketPath)}, ${files} entries with group/other bits: ${loose}; ` +
    `nobody connecting: ${nobodyConnect}; nobody listing the data dir: exit ${list.status}`);
}

function fill(path: string): number {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(1 << 20);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return n;
}

/** The embedded database on a tmpfs that fills up mid-load: no answers while full, a log line, recovery. */
export async function diskFull(label: string, sizes: Suite['sizes'], rows: Suite['rows']): Promise<void> {
  const name = 'disk full (embedded on a 160 MB tmpfs)';
  if (process.getuid?.() !== 0) { rows.push({ backend: label, check: name, ok: true, figures: 'SKIPPED: needs root to mount a tmpfs' }); return; }
  const outer = await makeBackend('embedded');
  const mnt = join(outer.work, 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m,mode=0755', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    await outer.close();
    rows.push({ backend: label, check: name, ok: false, figures: `cannot mount a tmpfs: ${(err as Error).message.split('\n')[0]}` });
    return;
  }
  const b = { ...outer, dbArgs: ['--data-dir', join(mnt, 'data')], target: { kind: 'embedded' as const, dataDir: join(mnt, 'data') }, dataDir: join(mnt, 'data') };
  const s = new Suite(b, label, sizes, rows);
  try {
    await s.setup();
    const sessions = s.sessions('F', sizes.diskFullSessions);
    const total = sessions.length * 4;
    const done = s.client.send(sessions);
    await s.until('a fifth of the load', () => s.client.figures.acknowledged >= total / 5, 600_000);
    const filled = fill(join(mnt, 'fill'));
    const tFull = Date.now();
    const failure = /embedded: the database failed|ingest: database unavailable/;
    await s.until('a log line saying the database failed', () => failure.test(s.daemon.logText()) || s.client.figures.acknowledged >= total, 300_000);
    if (s.client.figures.acknowledged >= total) throw new Error(`disk full: the load finished before any write failed (filled ${filled >> 20} MB)`);
    const tFail = Date.now();
    const line = s.daemon.logText().split('\n').find((l) => failure.test(l)) ?? '';
    await sleep(5000);
    const tFree = Date.now();
    const answersFull = s.client.answerTimes.filter((t) => t > tFail + 500 && t <= tFree).length;
    // A batch may still fit while the disk is full (an update in place needs no new page): it commits, and only
    // then is it answered, with a log line saying writes succeed again. Any other answer while full is a defect.
    const sinceFailure = s.daemon.logText().split('\n').slice(s.daemon.logText().split('\n').findIndex((l) => failure.test(l)));
    const succeededWhileFull = sinceFailure.filter((l) => /database writes succeed again/.test(l)).length;
    const ackedBeforeFail = s.client.answerTimes.filter((t) => t > tFull && t <= tFail + 500).length;
    rmSync(join(mnt, 'fill'));
    await s.until('an answer once there is room', () => s.client.answerTimes.some((t) => t > tFree), 180_000);
    const recoveryMs = s.client.answerTimes.find((t) => t > tFree)! - tFree;
    await withTimeout(done, 600_000, 'the load to finish');
    const v = await s.verify();
    s.record(name, (answersFull === 0 || succeededWhileFull > 0) && s.daemon.alive && v.ok,
      `filled ${filled >> 20} MB; failure logged ${tFail - tFull} ms later: "${line.replace(/^.*?(embedded:|ingest:)/, '$1').slice(0, 120)}"; ` +
      `answers in between ${ackedBeforeFail}, while full ${answersFull} (batches that still committed while full: ${succeededWhileFull}); recovered ${recoveryMs} ms after space returned; ${verdictText(v)}`);
  } finally {
    await s.close();
    execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    await outer.close();
  }
}
