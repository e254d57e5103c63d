// `radtrack reconcile` as cron runs it: quiet unless something changed, exit 0; json always.
import { expect } from 'chai';
import { radtrack, radtrackJson } from '../helpers/cli.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { insertAccount, insertNas, recordSession } from '../helpers/fixtures.ts';

describe('radtrack reconcile (CLI)', () => {
  let stale: bigint;

  beforeEach(async () => {
    await truncateAll();
    const knex = testKnex();
    const now = Date.now();
    const nas = await insertNas(knex, '192.0.2.1', { interimInterval: 60, lastSeen: new Date(now) });
    const alice = await insertAccount(knex, 'alice');
    stale = await recordSession(knex, {
      nasId: nas, accountId: alice, login: new Date(now - 3_600_000),
      updates: [{ at: new Date(now - 1_800_000), input: 1n, output: 1n }],
    });
  });

  it('--dry-run shows what it would close; the run closes it; the next run prints nothing', async () => {
    const dry = await radtrack(['reconcile', '--dry-run']);
    expect([dry.code, dry.stderr]).to.deep.equal([0, '']);
    expect(dry.stdout).to.match(/^would close 1 stale session \(logout = last update\):/);
    const run = await radtrack(['reconcile']);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/^closed 1 stale session/);
    const again = await radtrack(['reconcile']);
    expect([again.code, again.stdout, again.stderr]).to.deep.equal([0, '', '']);
    expect((await radtrack(['reconcile', '--verbose'])).stdout).to.equal('no stale sessions to close\n');
  });

  it('--format json: the summary, with the session closed at its last update', async () => {
    const summary = await radtrackJson<{ skipped: boolean; closed: number; closed_sessions: { id: number; last_update: string }[]; silent_nas: unknown[] }>(
      ['reconcile', '--stale-after', '10m'],
    );
    expect([summary.skipped, summary.closed]).to.deep.equal([false, 1]);
    expect(summary.closed_sessions.map((c) => c.id)).to.deep.equal([Number(stale)]);
    const [row] = await testKnex()('sessions').where({ id: stale });
    expect(row.logout.toISOString().replace('.000Z', 'Z')).to.equal(summary.closed_sessions[0]!.last_update);
  });
});
