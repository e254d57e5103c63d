// `radtrack purge` through the real executable, then the account can go.
import { expect } from 'chai';
import { expectFailure, radtrack, radtrackJson } from '../helpers/cli.ts';
import { testKnex } from '../helpers/db.ts';
import { at, cleanDatabase, recordSession } from '../helpers/fixtures.ts';

describe('radtrack purge (CLI)', () => {
  beforeEach(async () => {
    const knex = testKnex();
    const [[nas], { alice }] = await cleanDatabase(['192.0.2.1'], ['alice']);
    await recordSession(knex, { nasId: nas, accountId: alice, login: at('2025-01-01T10:00:00Z'), stop: { at: at('2025-01-01T11:00:00Z'), input: 5n, output: 5n } });
  });

  it('refuses the account delete before, purges (dry run first), then deletes the account', async () => {
    expectFailure(await radtrack(['account', 'delete', 'alice']), 3, /purge/);
    const dry = await radtrackJson<Record<string, unknown>>(['purge', '--before', '2026-01-01', '--dry-run']);
    expect(dry).to.deep.equal({ before: '2026-01-01T00:00:00Z', dry_run: true, sessions: 1, journal: 0, months_dropped: [] });
    const run = await radtrack(['purge', '--before', '2026-01-01']);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/^deleted 1 closed session and 0 journal entries before 2026-01-01T00:00:00Z \(whole months dropped: [0-9, -]*2025-01[0-9, -]*\); usage kept\n$/);
    const usage = await radtrackJson<{ seconds: number; sessions: number }[]>(['report', 'usage', '--period', '2025-01']);
    expect(usage).to.deep.equal([{ username: 'alice', sessions: 1, seconds: 3600, input_octets: 5, output_octets: 5 }]);
    expect((await radtrack(['account', 'delete', 'alice'])).code).to.equal(0);
  });

  it('needs --before as a date: exit 2', async () => {
    expectFailure(await radtrack(['purge']), 2, /before/);
    expectFailure(await radtrack(['purge', '--before', 'last year']), 2, /--before: "last year" is not a date/);
  });
});
