// The embedded database serves many clients through one PGlite backend (src/db/embedded/wire-server.ts).
// Several processes at once must each get their own results, and transactions must not interleave.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnex } from '../../src/db/knex.ts';
import { cliDbArgs, testConnection, testKnex, testTarget, truncateAll } from '../helpers/db.ts';
import { insertNas } from '../helpers/fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/radtrack', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('database shared by several clients at once', function () {
  this.timeout(120_000);
  beforeEach(async () => {
    await truncateAll();
    await insertNas(testKnex(), '192.0.2.1', { name: 'one' });
    await insertNas(testKnex(), '192.0.2.2', { name: 'two' });
  });

  it('six CLI processes at once all succeed with the right answer', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => run([...cliDbArgs(), 'nas', 'list', '--format', 'json'])));
    for (const r of results) {
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).map((n: { name: string }) => n.name)).to.deep.equal(['one', 'two']);
    }
  });

  it('six commands at once on a fresh database: all succeed, one migration history', async () => {
    const target = testTarget();
    let args: string[];
    let cleanup: () => Promise<void>;
    if (target.kind === 'embedded') {
      const dir = mkdtempSync(join(tmpdir(), 'radtrack-fresh-'));
      args = ['--data-dir', dir];
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const name = `radtrack_fresh_${process.pid}`;
      await testKnex().raw(`CREATE DATABASE ${name}`);
      const url = new URL(target.url);
      url.pathname = '/' + name;
      args = ['--db', url.toString()];
      cleanup = async () => void (await testKnex().raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => run([...args, 'nas', 'list', '--format', 'json'])));
      for (const r of results) expect(r.code, r.stderr).to.equal(0);
      const again = await run([...args, 'migrate', '--format', 'json']);
      expect(again.code, again.stderr).to.equal(0);
      expect(JSON.parse(again.stdout).applied).to.deep.equal([]);
    } finally {
      await cleanup();
    }
  });

  it('concurrent queries and transactions from several pools get their own results', async () => {
    const pools = [createKnex(testConnection(), 4), createKnex(testConnection(), 4)];
    try {
      const wrong: number[] = [];
      await Promise.all(
        Array.from({ length: 600 }, async (_, i) => {
          const k = pools[i % 2];
          const v = i % 3 === 2
            ? await k.transaction(async (t) => {
                await t.raw('select pg_sleep(0)');
                return (await t.raw('select ?::int as v', [i])).rows[0].v;
              })
            : (await k.raw(`select ?::int + ${i % 3} - ${i % 3} as v`, [i])).rows[0].v;
          if (v !== i) wrong.push(i);
        }),
      );
      expect(wrong).to.deep.equal([]);
    } finally {
      for (const p of pools) await p.destroy();
    }
    expect(testTarget().kind).to.be.oneOf(['embedded', 'postgres']);
  });

  it('large results arrive intact', async () => {
    const { rows } = await testKnex().raw(`select g, repeat('x', 200) as pad from generate_series(1, 20000) g`);
    expect(rows).to.have.length(20000);
    const wrong = rows.flatMap((r: { g: number; pad: string }, i: number) => (r.g === i + 1 && r.pad === 'x'.repeat(200) ? [] : [{ at: i, ...r }]));
    expect(wrong, 'rows that differ from generate_series').to.deep.equal([]);
  });

  it('COPY FROM STDIN is refused (embedded) and the database keeps working', async function () {
    if (testTarget().kind !== 'embedded') this.skip();
    const err = await testKnex().raw('COPY nas (address, secret) FROM STDIN').then(() => null, (e: { code?: string }) => e);
    expect(err?.code).to.equal('0A000');
    expect((await testKnex().raw('select 1 as one')).rows).to.deep.equal([{ one: 1 }]);
  });

  it('a client idle in a transaction is disconnected, so it cannot stall everyone (embedded)', async function () {
    if (testTarget().kind !== 'embedded') this.skip();
    const idle = createKnex(testConnection(), 1);
    try {
      const trx = await idle.transaction();
      await trx.raw('select 1');
      // The backend is pinned to that transaction; this waits until the idle client is cut off (2 s in tests).
      const started = Date.now();
      expect((await testKnex().raw('select 2 as two')).rows).to.deep.equal([{ two: 2 }]);
      expect(Date.now() - started).to.be.greaterThan(1000);
      const err = await trx.raw('select 3').then(() => null, (e: Error) => e);
      expect(err, 'the idle transaction was ended').to.be.instanceOf(Error);
      await trx.rollback().catch(() => undefined); // lets knex release the dead connection
    } finally {
      await idle.destroy();
    }
  });
});
