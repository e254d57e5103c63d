// Interop: radclient (Debian freeradius-utils), a RADIUS client we did not write, drives the real daemon
// process started by `bin/radtrack serve`; `radtrack sessions` reads while it runs; SIGTERM ends it with 0.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliDbArgs, testKnex, testTarget, truncateAll } from '../helpers/db.ts';
import { waitFor } from '../helpers/listener.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const PORT = 18000 + Math.floor(Math.random() * 1000);

function radtrack(args: string[]) {
  return spawnSync(process.execPath, ['bin/radtrack', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

function radclient(kind: 'acct' | 'status', input: string) {
  return spawnSync('radclient', ['-r', '3', '-t', '3', '-x', `127.0.0.1:${PORT}`, kind, 'testing123'], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('interop: radclient against the radtrack serve process', function () {
  this.timeout(120_000);
  let daemon: ChildProcess | null = null;
  let dbArgs: string[] = [];
  let dataDir: string | null = null;
  let stderr = '';

  before(async function () {
    if (spawnSync('radclient', ['-h']).error) {
      // CI installs it (.ci/run) and must run this test; elsewhere it shows as pending.
      if (process.env.CI) throw new Error('radclient not found: apt-get install freeradius-utils');
      this.skip();
    }
    if (testTarget().kind === 'embedded') {
      // The test process hosts the shared embedded test database; the daemon must own its own data folder.
      dataDir = mkdtempSync(join(tmpdir(), 'radtrack-serve-'));
      dbArgs = ['--data-dir', dataDir];
    } else {
      await truncateAll();
      dbArgs = cliDbArgs();
    }
    const seeded = radtrack([...dbArgs, 'seed']);
    expect(seeded.status, seeded.stderr).to.equal(0);
    daemon = spawn(process.execPath, ['bin/radtrack', ...dbArgs, 'serve', '--host', '127.0.0.1', '--port', String(PORT)], { cwd: ROOT });
    daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(async () => stderr.includes('serve: listening'), 'the daemon to listen', 60_000);
  });

  after(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers Start, Interim-Update, Stop and Status-Server; the sessions command reads while it runs', () => {
    const common = 'User-Name = "carol"\nAcct-Session-Id = "rc-1"\nNAS-Port-Id = "pppoe/7"\nFramed-IP-Address = 100.64.9.9\n';
    for (const body of [
      'Acct-Status-Type = Start\n',
      'Acct-Status-Type = Interim-Update\nAcct-Session-Time = 30\nAcct-Input-Octets = 100\nAcct-Output-Octets = 200\n',
      'Acct-Status-Type = Stop\nAcct-Session-Time = 42\nAcct-Input-Octets = 1000\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 2000\nAcct-Terminate-Cause = User-Request\n',
    ]) {
      const r = radclient('acct', common + body);
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/Received Accounting-Response/);
    }
    const status = radclient('status', 'Message-Authenticator = 0x00\n');
    expect(status.stdout).to.match(/Received Accounting-Response/);

    const listed = radtrack([...dbArgs, 'sessions', '--format', 'json']);
    expect(listed.status, listed.stderr).to.equal(0);
    const sessions = JSON.parse(listed.stdout);
    expect(sessions).to.have.length(1);
    expect(sessions[0]).to.include({
      username: 'carol',
      nas_port: 'pppoe/7',
      acct_session_id: 'rc-1',
      status: 'closed',
      close_reason: 'stop',
      terminate_cause: 'User-Request',
      input_octets: 4294968296,
      output_octets: 2000,
      session_time: 42,
      framed_ip: '100.64.9.9',
    });
  });

  it('a wrong secret gets no answer (radclient gives up), and the daemon keeps answering', () => {
    const bad = spawnSync('radclient', ['-r', '1', '-t', '1', `127.0.0.1:${PORT}`, 'acct', 'not-the-secret'], {
      input: 'Acct-Status-Type = Start\nUser-Name = "x"\nAcct-Session-Id = "bad"\n',
      encoding: 'utf8',
    });
    expect(bad.status).to.not.equal(0);
    const good = radclient('acct', 'Acct-Status-Type = Start\nUser-Name = "dave"\nAcct-Session-Id = "rc-2"\nNAS-Port = 1\n');
    expect(good.stdout).to.match(/Received Accounting-Response/);
  });

  it('a second daemon on the same embedded data folder is refused with a clear message', function () {
    if (!dataDir) this.skip();
    const second = radtrack(['--data-dir', dataDir!, 'serve', '--port', String(PORT + 1)]);
    expect(second.status).to.equal(1);
    expect(second.stderr).to.match(/in use by radtrack serve \(pid \d+\)/);
  });

  it('SIGTERM: the daemon finishes and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => daemon!.once('exit', (code) => resolve(code)));
    daemon!.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(stderr).to.match(/serve: stopped/);
    if (testTarget().kind === 'postgres') {
      const n = await testKnex()('sessions').count({ n: '*' }).first();
      expect(n).to.deep.equal({ n: 2n });
    }
  });
});
