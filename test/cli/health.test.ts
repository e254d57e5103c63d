// The `radtrack serve` process with --metrics and --log-format json, scraped over HTTP, and `radtrack health`
// against it: healthy, the daemon gone, the database unreachable or behind on migrations.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnex } from '../../src/db/knex.ts';
import { expectFailure, radtrack } from '../helpers/cli.ts';
import { testTarget, truncateAll } from '../helpers/db.ts';
import { makeClient, waitFor } from '../helpers/listener.ts';
import { scrape } from '../helpers/metrics.ts';
import { DEV_SECRET } from '../helpers/fixtures.ts';
import { accountingRequest, responseProblem } from '../helpers/packets.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const PASSWORD = 'pw-never-logged-7c1e';

interface LogLine {
  time: string;
  level: string;
  component?: string;
  msg: string;
  [field: string]: unknown;
}

describe('serve --metrics --log-format json, and radtrack health', function () {
  this.timeout(120_000);
  let daemon: ChildProcess | null = null;
  let dbArgs: string[] = [];
  let dataDir: string | null = null;
  let stderr = '';
  let udpPort = 0;
  let metricsPort = 0;
  const lines = (): LogLine[] => stderr.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogLine);

  before(async () => {
    if (testTarget().kind === 'embedded') {
      // The test process hosts the shared embedded test database; the daemon must own its own data folder.
      dataDir = mkdtempSync(join(tmpdir(), 'radtrack-health-'));
      dbArgs = ['--data-dir', dataDir];
    } else {
      await truncateAll();
      // The server trusts local connections, so the password is never checked: it is there to be kept out of the logs.
      const url = new URL(process.env.RADTRACK_TEST_DB_URL!);
      url.password = PASSWORD;
      dbArgs = ['--db', url.toString()];
    }
    const seeded = await radtrack([...dbArgs, 'seed'], { db: false });
    expect(seeded.code, seeded.stderr).to.equal(0);
    daemon = spawn(process.execPath, ['bin/radtrack', '--log-format', 'json', ...dbArgs, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics', '127.0.0.1:0'], { cwd: ROOT });
    daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = await waitFor(async () => stderr.endsWith('\n') && lines().find((l) => l.msg.startsWith('serve: listening')), 'the daemon to listen', 60_000);
    udpPort = Number(listening.udp_port);
    metricsPort = Number(lines().find((l) => l.component === 'metrics')!.metrics_port);
  });

  after(() => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts a real packet on /metrics, and health says healthy (address by flag or RADTRACK_METRICS)', async () => {
    const client = await makeClient(udpPort);
    const start = accountingRequest({ statusType: 'Start', sessionId: 'h1', userName: 'hana', nasPort: 1 }, DEV_SECRET);
    const response = await client.request(start);
    client.close();
    expect(response && { code: response[0], problem: responseProblem(response, start, DEV_SECRET) }).to.deep.equal({ code: 5, problem: null });

    const s = await scrape(metricsPort);
    expect(s.radtrack_packets_total).to.deep.equal({ 'code="Accounting-Request",status_type="Start",outcome="accepted"': 1 });
    expect(s.radtrack_open_sessions).to.deep.equal({ '': 1 });

    const byFlag = await radtrack([...dbArgs, 'health', '--metrics', `127.0.0.1:${metricsPort}`], { db: false });
    const byEnv = await radtrack([...dbArgs, 'health'], { db: false, env: { RADTRACK_METRICS: `127.0.0.1:${metricsPort}` } });
    for (const r of [byFlag, byEnv]) {
      expect({ code: r.code, stderr: r.stderr }).to.deep.equal({ code: 0, stderr: '' });
      expect(r.stdout).to.match(new RegExp(`^healthy: database .+ answers, migrations current; listener on udp 127\\.0\\.0\\.1:${udpPort} healthy\\n$`));
    }
  });

  it('logs one JSON object per line (time, level, component, msg, fields), and never the database password', () => {
    const all = lines();
    const malformed = all.filter(
      (l) => !['info', 'warn', 'error', 'debug'].includes(l.level) || typeof l.time !== 'string' || Number.isNaN(Date.parse(l.time)) || typeof l.msg !== 'string',
    );
    expect(malformed, 'lines without a level, time or msg').to.deep.equal([]);
    expect(all.map((l) => l.component).filter((c) => c === undefined), 'lines without a component').to.deep.equal([]);
    expect(all.find((l) => l.component === 'metrics')).to.deep.include({
      level: 'info',
      msg: `metrics: serving http://127.0.0.1:${metricsPort}/metrics and /health`,
      metrics_address: '127.0.0.1',
      metrics_port: metricsPort,
    });
    expect(stderr).to.not.include(PASSWORD);
  });

  it('the database unreachable, or behind on migrations: exit 1 and one line naming it', async function () {
    const unreachable = await radtrack(['--db', `postgres://postgres:${PASSWORD}@127.0.0.1:1/nothing`, 'health', '--metrics', `127.0.0.1:${metricsPort}`], { db: false });
    expectFailure(unreachable, 1, /^radtrack: database: cannot use PostgreSQL 127\.0\.0\.1:1\/nothing: .*ECONNREFUSED/);
    expect(unreachable.stderr).to.not.include(PASSWORD);

    const missing = await radtrack(['--data-dir', join(tmpdir(), 'radtrack-health-none', 'data'), 'health', '--database-only'], { db: false });
    expectFailure(missing, 1, /^radtrack: database: no embedded database in \S+radtrack-health-none\/data; check --data-dir/);

    if (testTarget().kind !== 'postgres') return;
    const admin = createKnex(process.env.RADTRACK_TEST_SERVER_URL!, 1);
    const name = `${new URL(process.env.RADTRACK_TEST_DB_URL!).pathname.slice(1)}_empty`;
    await admin.raw(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(process.env.RADTRACK_TEST_DB_URL!);
      url.pathname = '/' + name;
      const behind = await radtrack(['--db', url.toString(), 'health', '--database-only'], { db: false });
      expectFailure(behind, 1, /^radtrack: database: \d+ migration\(s\) pending on PostgreSQL \S+_empty \(20261122000000_core, .*\); run "radtrack migrate"\n$/);
    } finally {
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    }
  });

  it('an address that takes the connection and never answers: exit 1 after --timeout, naming it', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    try {
      const r = await radtrack([...dbArgs, 'health', '--metrics', `127.0.0.1:${port}`, '--timeout', '1'], { db: false });
      expectFailure(r, 1, new RegExp(`^radtrack: listener: no answer from http://127\\.0\\.0\\.1:${port}/health within 1 s\\n$`));
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('without --metrics or RADTRACK_METRICS (and not --database-only) it is a usage error', async () => {
    expectFailure(await radtrack([...dbArgs, 'health'], { db: false }), 2, /give --metrics HOST:PORT/);
    expectFailure(await radtrack([...dbArgs, 'health', '--metrics', 'localhost'], { db: false }), 2, /"localhost" is not HOST:PORT/);
  });

  it('once the daemon stopped (SIGTERM, exit 0), health exits 1: nothing answers on its address', async () => {
    const exited = new Promise<number | null>((resolve) => daemon!.once('exit', (code) => resolve(code)));
    daemon!.kill('SIGTERM');
    expect(await exited).to.equal(0);
    const stopped = lines().find((l) => l.msg.startsWith('serve: stopped'));
    expect(stopped).to.deep.include({ level: 'info', component: 'serve' });
    expect(stopped!.msg).to.match(/^serve: stopped \(accepted 1,/);

    const r = await radtrack([...dbArgs, 'health', '--metrics', `127.0.0.1:${metricsPort}`], { db: false });
    expectFailure(r, 1, new RegExp(`^radtrack: listener: nothing answers on http://127\\.0\\.0\\.1:${metricsPort}/health \\(ECONNREFUSED\\)`));
  });
});
