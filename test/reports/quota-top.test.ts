import { expect } from 'chai';
import { monthPeriod } from '../../src/reports/period.ts';
import { quotaReport } from '../../src/reports/quota.ts';
import { topUsage } from '../../src/reports/usage.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { at, insertAccount, insertNas, recordSession } from '../helpers/fixtures.ts';

describe('report top and report quota', () => {
  const october = monthPeriod('2026-10');
  const now = at('2026-12-01T00:00:00Z');

  beforeEach(async () => {
    await truncateAll();
    const nas = await insertNas(testKnex(), '192.0.2.1');
    // alice: 8 h, 100 B; bob: 1 h, 799 B; carol: 2 h, 5000 B, no quota. Time quota 10 h, data quota 1000 B.
    const plan: [string, number, bigint, { timeQuotaSeconds?: bigint; dataQuotaBytes?: bigint }][] = [
      ['alice', 8, 100n, { timeQuotaSeconds: 36_000n }],
      ['bob', 1, 799n, { dataQuotaBytes: 1000n, timeQuotaSeconds: 36_000n }],
      ['carol', 2, 5000n, {}],
    ];
    for (const [username, hours, octets, quota] of plan) {
      const accountId = await insertAccount(testKnex(), username, quota);
      await recordSession(testKnex(), {
        nasId: nas, accountId, login: at('2026-10-03T00:00:00Z'),
        stop: { at: new Date(Date.UTC(2026, 9, 3, hours)), input: octets - 1n, output: 1n },
      });
    }
  });

  it('top: the largest users by octets or by seconds, at most --limit', async () => {
    const byOctets = await topUsage(testKnex(), { period: october, now }, 'octets', 2);
    expect(byOctets.map((r) => [r.username, r.input_octets + r.output_octets])).to.deep.equal([['carol', 5000n], ['bob', 799n]]);
    const bySeconds = await topUsage(testKnex(), { period: october, now }, 'seconds', 10);
    expect(bySeconds.map((r) => [r.username, r.seconds])).to.deep.equal([['alice', 28_800], ['carol', 7200], ['bob', 3600]]);
    expect(await topUsage(testKnex(), { period: monthPeriod('2026-11'), now }, 'octets', 10)).to.deep.equal([]);
  });

  it('quota: accounts at or above the threshold of either quota', async () => {
    const at80 = await quotaReport(testKnex(), { period: october, now, threshold: 0.8 });
    expect(at80).to.deep.equal([
      {
        username: 'alice', seconds: 28_800, time_quota_seconds: 36_000n, time_share: 0.8, octets: 100n, data_quota_bytes: null, data_share: null,
        period_from: october.from, period_to: october.to,
      },
    ]);
    const at79 = await quotaReport(testKnex(), { period: october, now, threshold: 0.799 });
    expect(at79.map((r) => [r.username, r.data_share])).to.deep.equal([['alice', null], ['bob', 0.799]]);
    expect(await quotaReport(testKnex(), { period: monthPeriod('2026-11'), now, threshold: 0.8 })).to.deep.equal([]);
  });
});
