// Times on the command line (args.ts parseTime) through the real executable: a bad offset or a local time that
// a DST change skips or repeats is a usage error (2) before the database is opened, never a shifted bound.
import { expect } from 'chai';
import { expectFailure, radtrack } from '../helpers/cli.ts';

describe('cli: times', () => {
  it('refuses offsets outside -14:00 … +14:00 or with minutes past 59', async () => {
    const [wild, day, minutes] = await Promise.all([
      radtrack(['sessions', '--since', '2026-11-20T10:00+99:99']),
      radtrack(['sessions', '--until', '2026-11-20T10:00+25:00']),
      radtrack(['purge', '--before', '2026-11-20T10:00-05:60', '--dry-run']),
    ]);
    expectFailure(wild, 2, /^radtrack: --since: "2026-11-20T10:00\+99:99" has offset \+99:99; offsets run from -14:00 to \+14:00/);
    expectFailure(day, 2, /^radtrack: --until: "2026-11-20T10:00\+25:00" has offset \+25:00;/);
    expectFailure(minutes, 2, /^radtrack: --before: "2026-11-20T10:00-05:60" has offset -05:60;/);
  });

  it('refuses a local time in a DST gap or overlap of --tz, and takes it with an offset', async () => {
    const [gap, overlap] = await Promise.all([
      radtrack(['report', 'usage', '--tz', 'Europe/Berlin', '--from', '2026-03-29T02:30', '--to', '2026-03-30']),
      radtrack(['report', 'who', '--ip', '10.0.0.5', '--tz', 'Europe/Berlin', '--at', '2026-10-25T02:30']),
    ]);
    expectFailure(gap, 2, /^radtrack: --from: "2026-03-29T02:30" does not exist in Europe\/Berlin .* like 2026-03-29T03:30\+02:00\n$/);
    expectFailure(overlap, 2, /^radtrack: --at: "2026-10-25T02:30" happens twice in Europe\/Berlin .* 2026-10-25T02:30\+02:00 for the first, 2026-10-25T02:30\+01:00 for the second\n$/);
    // The second 02:30 until 03:00 local: half an hour, shown in --tz.
    const second = await radtrack(['report', 'usage', '--tz', 'Europe/Berlin', '--from', '2026-10-25T02:30+01:00', '--to', '2026-10-25T03:00']);
    expect([second.code, second.stderr]).to.deep.equal([0, '']);
    expect(second.stdout.split('\n')[0]).to.equal('period 2026-10-25T02:30:00+01:00 … 2026-10-25T03:00:00+01:00 (0.5 h)');
  });
});
