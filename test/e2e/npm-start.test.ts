// `npm start` (README quick start) as a supervisor runs it: the dev NAS is seeded on the embedded database only,
// and SIGTERM to npm stops the listener itself (issue: the shell npm ran did not pass the signal on, and `serve`
// kept udp/1813 as an orphan).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { testKnex, testTarget, truncateAll } from '../helpers/db.ts';
import { makeClient, waitFor } from '../helpers/listener.ts';
import { DEV_SECRET } from '../helpers/fixtures.ts';
import { accountingRequest, responseProblem } from '../helpers/packets.ts';

interface Started {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<number | null>;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** True when nothing holds udp 127.0.0.1:port any more. */
async function udpPortFree(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '0.0.0.0', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

async function npmStart(env: NodeJS.ProcessEnv): Promise<Started> {
  const port = await freeUdpPort();
  const child = spawn('npm', ['start', '--', '--port', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(async () => /serve: listening on udp/.test(text) || child.exitCode !== null, 'npm start listening', 120_000);
  expect(text, 'npm start output').to.match(/serve: listening on udp/);
  return { child, port, output: () => text, exited };
}

describe('npm start (README quick start)', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('seeds the dev NAS on the embedded database, answers it, and stops the listener on SIGTERM to npm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radtrack-npm-start-'));
    dirs.push(dir);
    const started = await npmStart({ DATABASE_URL: '', RADTRACK_DATA_DIR: join(dir, 'data') });
    expect(started.output()).to.match(/--seed-dev \(embedded database only\): registered NAS 127\.0\.0\.1/);

    const client = await makeClient(started.port);
    try {
      const request = accountingRequest({ statusType: 'Start', sessionId: 'npm-start-1', userName: 'alice', nasPort: 1 }, DEV_SECRET);
      const response = await client.request(request, 10_000);
      expect(response, 'an Accounting-Response from the dev NAS').to.be.instanceOf(Buffer);
      expect({ code: response![0], problem: responseProblem(response!, request, DEV_SECRET) }).to.deep.equal({ code: 5, problem: null });
    } finally {
      client.close();
    }

    started.child.kill('SIGTERM'); // to npm, as a supervisor does
    expect(await started.exited, 'npm exit code').to.equal(0);
    await waitFor(() => udpPortFree(started.port), `udp port ${started.port} released`, 20_000);
    expect(started.output()).to.match(/serve: SIGTERM: finishing accepted packets/);
  });

  it('does not seed the dev NAS into a PostgreSQL server named by DATABASE_URL, and says so', async function () {
    const target = testTarget();
    if (target.kind !== 'postgres') this.skip();
    await truncateAll();
    const started = await npmStart({ DATABASE_URL: target.kind === 'postgres' ? target.url : '' });
    started.child.kill('SIGTERM');
    expect(await started.exited, 'npm exit code').to.equal(0);
    expect(started.output()).to.match(/--seed-dev: not seeding the development NAS into a PostgreSQL server/);
    const rows = await testKnex()('nas').whereRaw(`address = '127.0.0.1'::inet`).select('name');
    expect(rows, 'NAS rows for 127.0.0.1').to.deep.equal([]);
  });
});
