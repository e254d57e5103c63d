import { expect } from 'chai';
import { accountPeriod, cycleWindow } from '../../../src/reports/billing-cycle.ts';
import { currentMonth, monthPeriod, periodHours } from '../../../src/reports/period.ts';

const at = (iso: string) => new Date(iso);
const iso = (p: { from: Date; to: Date }) => [p.from.toISOString(), p.to.toISOString()];

describe('billing cycle window', () => {
  it('is [day D at local midnight, day D of the next month): the instant of the anchor belongs to the new cycle', () => {
    const utc15 = { day: 15, zone: 'UTC' };
    expect(iso(cycleWindow(utc15, at('2026-11-20T10:00:00Z')))).to.deep.equal(['2026-11-15T00:00:00.000Z', '2026-12-15T00:00:00.000Z']);
    expect(iso(cycleWindow(utc15, at('2026-11-15T00:00:00Z')))).to.deep.equal(['2026-11-15T00:00:00.000Z', '2026-12-15T00:00:00.000Z']);
    expect(iso(cycleWindow(utc15, at('2026-11-14T23:59:59.999Z')))).to.deep.equal(['2026-10-15T00:00:00.000Z', '2026-11-15T00:00:00.000Z']);
    expect(iso(cycleWindow(utc15, at('2026-11-20T10:00:00Z'), 'previous'))).to.deep.equal(['2026-10-15T00:00:00.000Z', '2026-11-15T00:00:00.000Z']);
    expect(cycleWindow(utc15, at('2026-11-20T10:00:00Z')).zone).to.equal('UTC');
  });

  it('crosses the year in both directions', () => {
    const day10 = { day: 10, zone: 'UTC' };
    expect(iso(cycleWindow(day10, at('2027-01-05T00:00:00Z')))).to.deep.equal(['2026-12-10T00:00:00.000Z', '2027-01-10T00:00:00.000Z']);
    expect(iso(cycleWindow(day10, at('2027-01-05T00:00:00Z'), 'previous'))).to.deep.equal(['2026-11-10T00:00:00.000Z', '2026-12-10T00:00:00.000Z']);
    expect(iso(cycleWindow(day10, at('2026-12-31T23:00:00Z')))).to.deep.equal(['2026-12-10T00:00:00.000Z', '2027-01-10T00:00:00.000Z']);
  });

  it('day 28 exists in every month: February of common and leap years, and the 29th–31st of long months', () => {
    const day28 = { day: 28, zone: 'UTC' };
    expect(iso(cycleWindow(day28, at('2027-02-27T12:00:00Z')))).to.deep.equal(['2027-01-28T00:00:00.000Z', '2027-02-28T00:00:00.000Z']);
    expect(iso(cycleWindow(day28, at('2027-02-28T12:00:00Z')))).to.deep.equal(['2027-02-28T00:00:00.000Z', '2027-03-28T00:00:00.000Z']);
    expect(iso(cycleWindow(day28, at('2028-02-29T12:00:00Z')))).to.deep.equal(['2028-02-28T00:00:00.000Z', '2028-03-28T00:00:00.000Z']);
    expect(iso(cycleWindow(day28, at('2026-12-31T12:00:00Z')))).to.deep.equal(['2026-12-28T00:00:00.000Z', '2027-01-28T00:00:00.000Z']);
    expect(iso(cycleWindow(day28, at('2027-03-30T12:00:00Z'), 'previous'))).to.deep.equal(['2027-02-28T00:00:00.000Z', '2027-03-28T00:00:00.000Z']);
    expect(periodHours(cycleWindow(day28, at('2027-02-28T12:00:00Z')))).to.equal(28 * 24);
    expect(periodHours(cycleWindow(day28, at('2028-02-28T12:00:00Z')))).to.equal(29 * 24);
  });

  it('refuses anchor days outside 1–28 and unknown zones', () => {
    for (const day of [0, 29, 31, 1.5]) expect(() => cycleWindow({ day, zone: 'UTC' }, at('2026-11-20T00:00:00Z'))).to.throw(RangeError);
    expect(() => cycleWindow({ day: 1, zone: 'Mars/Olympus' }, at('2026-11-20T00:00:00Z'))).to.throw(RangeError);
  });

  it('follows the zone: local midnights, and 743 or 745 hours across a daylight-saving change', () => {
    const berlin15 = { day: 15, zone: 'Europe/Berlin' };
    const spring = cycleWindow(berlin15, at('2026-03-20T12:00:00Z'));
    expect(iso(spring)).to.deep.equal(['2026-03-14T23:00:00.000Z', '2026-04-14T22:00:00.000Z']);
    expect(periodHours(spring)).to.equal(31 * 24 - 1);
    const autumn = cycleWindow(berlin15, at('2026-10-20T12:00:00Z'));
    expect(iso(autumn)).to.deep.equal(['2026-10-14T22:00:00.000Z', '2026-11-14T23:00:00.000Z']);
    expect(periodHours(autumn)).to.equal(31 * 24 + 1);
    // 15:30 UTC on 14 Oct is already the 15th in Tokyo (+09:00): the new cycle has begun there, not in UTC.
    expect(iso(cycleWindow({ day: 15, zone: 'Asia/Tokyo' }, at('2026-10-14T15:30:00Z')))).to.deep.equal(['2026-10-14T15:00:00.000Z', '2026-11-14T15:00:00.000Z']);
    expect(iso(cycleWindow({ day: 15, zone: 'UTC' }, at('2026-10-14T15:30:00Z')))).to.deep.equal(['2026-09-15T00:00:00.000Z', '2026-10-15T00:00:00.000Z']);
    // A zone with a half-hour offset: bounds that are not whole UTC hours.
    expect(iso(cycleWindow({ day: 1, zone: 'Asia/Kolkata' }, at('2026-11-20T00:00:00Z')))).to.deep.equal(['2026-10-31T18:30:00.000Z', '2026-11-30T18:30:00.000Z']);
  });

  it('a midnight the clocks skip starts the cycle when the gap ends; one they repeat, at the first', () => {
    // America/Santiago springs forward at 00:00 on 6 Sep 2026: the day begins at 01:00 -03:00.
    const santiago = cycleWindow({ day: 6, zone: 'America/Santiago' }, at('2026-09-10T12:00:00Z'));
    expect(iso(santiago)).to.deep.equal(['2026-09-06T04:00:00.000Z', '2026-10-06T03:00:00.000Z']);
    expect(periodHours(santiago)).to.equal(30 * 24 - 1);
    // America/Havana falls back from 01:00 to 00:00 on 1 Nov 2026: midnight happens at -04:00 and again at -05:00.
    const havana = { day: 1, zone: 'America/Havana' };
    expect(iso(cycleWindow(havana, at('2026-11-10T12:00:00Z')))).to.deep.equal(['2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z']);
    expect(iso(cycleWindow(havana, at('2026-11-01T04:30:00Z')))[0]).to.equal('2026-11-01T04:00:00.000Z');
    expect(iso(cycleWindow(havana, at('2026-11-01T03:59:00Z')))[1]).to.equal('2026-11-01T04:00:00.000Z');
  });
});

describe('an account billing period', () => {
  const now = at('2026-11-20T10:00:00Z');

  it('without an anchor day is the calendar month, in the account zone or else the report zone', () => {
    const none = { cycle_day: null, cycle_tz: null };
    expect(accountPeriod(none, now, 'current')).to.deep.equal(currentMonth(now, 'UTC'));
    expect(accountPeriod(none, now, 'previous')).to.deep.equal(monthPeriod('2026-10', 'UTC'));
    expect(accountPeriod(none, now, 'current', 'Europe/Berlin')).to.deep.equal(monthPeriod('2026-11', 'Europe/Berlin'));
    expect(accountPeriod({ cycle_day: null, cycle_tz: 'Asia/Tokyo' }, now, 'previous', 'Europe/Berlin')).to.deep.equal(monthPeriod('2026-10', 'Asia/Tokyo'));
  });

  it('with an anchor day is its own cycle, in its zone or else the report zone', () => {
    expect(iso(accountPeriod({ cycle_day: 25, cycle_tz: null }, now, 'current'))).to.deep.equal(['2026-10-25T00:00:00.000Z', '2026-11-25T00:00:00.000Z']);
    expect(accountPeriod({ cycle_day: 25, cycle_tz: null }, now, 'current', 'Europe/Berlin').zone).to.equal('Europe/Berlin');
    const tokyo = accountPeriod({ cycle_day: 5, cycle_tz: 'Asia/Tokyo' }, now, 'previous', 'Europe/Berlin');
    expect(tokyo.zone).to.equal('Asia/Tokyo');
    expect(iso(tokyo)).to.deep.equal(['2026-10-04T15:00:00.000Z', '2026-11-04T15:00:00.000Z']);
  });
});
