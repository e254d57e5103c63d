import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration, parseIp, parsePositiveInt, parseSize, parseTime, parseZone, resolveSecret } from '../../../src/cli/args.ts';
import { EXIT_USAGE, UsageError } from '../../../src/cli/errors.ts';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).exitCode).to.equal(EXIT_USAGE);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('cli args', () => {
  describe('parseTime', () => {
    it('takes ISO 8601 times and dates; a date is midnight UTC', () => {
      expect(parseTime('2026-11-20T10:00:00Z', '--since').toISOString()).to.equal('2026-11-20T10:00:00.000Z');
      expect(parseTime('2026-11-20', '--since').toISOString()).to.equal('2026-11-20T00:00:00.000Z');
      expect(parseTime('2026-11-20T10:00:00+02:00', '--since').toISOString()).to.equal('2026-11-20T08:00:00.000Z');
      expect(parseTime('2026-11-20T10:00', '--since').toISOString()).to.equal('2026-11-20T10:00:00.000Z');
      expect(parseTime('2026-11-20 10:00:00.250Z', '--since').toISOString()).to.equal('2026-11-20T10:00:00.250Z');
    });

    it('reads a time without offset in the zone given', () => {
      expect(parseTime('2026-07-01', '--from', 'Europe/Berlin').toISOString()).to.equal('2026-06-30T22:00:00.000Z');
    });

    it('takes offsets from -14:00 to +14:00 and refuses the rest instead of shifting the time', () => {
      const utc = (v: string) => parseTime(v, '--since').toISOString();
      expect(['2026-11-20T10:00+14:00', '2026-11-20T10:00-14:00', '2026-11-20T10:00+0530', '2026-11-20T10:00-05'].map(utc)).to.deep.equal([
        '2026-11-19T20:00:00.000Z',
        '2026-11-21T00:00:00.000Z',
        '2026-11-20T04:30:00.000Z',
        '2026-11-20T15:00:00.000Z',
      ]);
      expect(usageError(() => parseTime('2026-11-20T10:00+99:99', '--since')).message).to.equal(
        '--since: "2026-11-20T10:00+99:99" has offset +99:99; offsets run from -14:00 to +14:00 with minutes below 60, like +02:00 or -05:30',
      );
      const refused = ['+25:00', '+14:01', '-14:30', '+05:60', '+0575', '-15'].map((o) => usageError(() => parseTime(`2026-11-20T10:00${o}`, '--until')).message);
      expect(refused.map((m) => /has offset (\S+);/.exec(m)?.[1])).to.deep.equal(['+25:00', '+14:01', '-14:30', '+05:60', '+0575', '-15']);
    });

    it('refuses a local time that a DST change skips, naming the zone and a valid spelling', () => {
      expect(usageError(() => parseTime('2026-03-29T02:30', '--from', 'Europe/Berlin')).message).to.equal(
        '--from: "2026-03-29T02:30" does not exist in Europe/Berlin (the clocks skip it, as when daylight saving starts); ' +
          'give a time outside the gap or an offset, like 2026-03-29T03:30+02:00',
      );
      usageError(() => parseTime('2026-03-29T02:00', '--from', 'Europe/Berlin'));
      usageError(() => parseTime('2026-03-29 02:59:59.999', '--from', 'Europe/Berlin'));
      // Either side of the gap, and the same time with its offset, are fine.
      const berlin = (v: string) => parseTime(v, '--from', 'Europe/Berlin').toISOString();
      expect(['2026-03-29T01:59:59', '2026-03-29T03:00', '2026-03-29T02:30+01:00'].map(berlin)).to.deep.equal([
        '2026-03-29T00:59:59.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-29T01:30:00.000Z',
      ]);
    });

    it('refuses a local time that a DST change repeats, offering both offsets; with an offset either is taken', () => {
      expect(usageError(() => parseTime('2026-10-25T02:30', '--at', 'Europe/Berlin')).message).to.equal(
        '--at: "2026-10-25T02:30" happens twice in Europe/Berlin (the clocks go back); ' +
          'add the offset: 2026-10-25T02:30+02:00 for the first, 2026-10-25T02:30+01:00 for the second',
      );
      usageError(() => parseTime('2026-10-25T02:00', '--at', 'Europe/Berlin'));
      const berlin = (v: string) => parseTime(v, '--at', 'Europe/Berlin').toISOString();
      expect(['2026-10-25T02:30+02:00', '2026-10-25T02:30+01:00', '2026-10-25T01:59', '2026-10-25T03:00'].map(berlin)).to.deep.equal([
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-24T23:59:00.000Z',
        '2026-10-25T02:00:00.000Z',
      ]);
    });

    it('a bare date is the first instant of that day, also when its midnight is skipped or repeated', () => {
      // São Paulo 2018-11-04 began at 01:00 (-02:00); Havana's midnight on 2020-11-01 came twice, first at -04:00.
      expect(parseTime('2018-11-04', '--from', 'America/Sao_Paulo').toISOString()).to.equal('2018-11-04T03:00:00.000Z');
      expect(parseTime('2020-11-01', '--from', 'America/Havana').toISOString()).to.equal('2020-11-01T04:00:00.000Z');
      expect(parseTime('2026-03-29', '--from', 'Europe/Berlin').toISOString()).to.equal('2026-03-28T23:00:00.000Z');
    });

    it('refuses impossible dates, bare times, week dates and words, naming the flag', () => {
      expect(usageError(() => parseTime('2026-13-01', '--since')).message).to.equal(
        '--since: "2026-13-01" is not a date; use ISO 8601 like 2026-11-20T10:00:00Z or 2026-11-20',
      );
      for (const bad of ['2026-02-30', '10:00', '2026-W47', 'yesterday', '', '2026-11-20T25:00Z']) usageError(() => parseTime(bad, '--until'));
    });
  });

  describe('parseDuration', () => {
    it('takes seconds and s/m/h/d/w units', () => {
      expect(parseDuration('3600', '--time-quota')).to.equal(3600);
      expect(parseDuration('90m', '--time-quota')).to.equal(5400);
      expect(parseDuration('100h', '--time-quota')).to.equal(360_000);
      expect(parseDuration('30d', '--time-quota')).to.equal(2_592_000);
      expect(parseDuration('1h30m', '--time-quota')).to.equal(5400);
      expect(parseDuration(300, '--interim-interval')).to.equal(300);
    });

    it('refuses zero, negatives, fractions and unknown units', () => {
      for (const bad of ['0', '-5', '1.5h', '10y', 'h', '']) usageError(() => parseDuration(bad, '--time-quota'));
      expect(usageError(() => parseDuration('10y', '--time-quota')).message).to.match(/^--time-quota: "10y" is not a duration/);
    });

    it('with a range: takes its bounds, refuses what is outside with the value in seconds and the range', () => {
      const day = { minSeconds: 1, maxSeconds: 86_400 };
      expect([parseDuration('1', '--interim-interval', day), parseDuration('1d', '--interim-interval', day)]).to.deep.equal([1, 86_400]);
      const refused = ['1300w', '86401', '24h1s', '0', '99999999999999999w'].map((v) => usageError(() => parseDuration(v, '--interim-interval', day)).message);
      expect(refused).to.deep.equal([
        '--interim-interval: "1300w" (786240000 s) is out of range; use 1 s to 86400 s (1d)',
        '--interim-interval: "86401" is out of range; use 1 s to 86400 s (1d)',
        '--interim-interval: "24h1s" (86401 s) is out of range; use 1 s to 86400 s (1d)',
        '--interim-interval: "0" is out of range; use 1 s to 86400 s (1d)',
        '--interim-interval: "99999999999999999w" is out of range; use 1 s to 86400 s (1d)',
      ]);
      expect(usageError(() => parseDuration('1 fortnight', '--interim-interval', day)).message).to.match(/^--interim-interval: "1 fortnight" is not a duration/);
    });
  });

  describe('parseSize', () => {
    it('takes bytes, decimal and binary units, as exact bigints', () => {
      expect(parseSize('1234', '--data-quota')).to.equal(1234n);
      expect(parseSize('500MB', '--data-quota')).to.equal(500_000_000n);
      expect(parseSize('10GB', '--data-quota')).to.equal(10_000_000_000n);
      expect(parseSize('1TiB', '--data-quota')).to.equal(2n ** 40n);
      expect(parseSize('1.5GiB', '--data-quota')).to.equal(3n * 2n ** 29n);
      expect(parseSize('2 kb', '--data-quota')).to.equal(2000n);
      expect(parseSize('20PB', '--data-quota')).to.equal(20n * 10n ** 15n);
    });

    it('refuses zero, fractions of a byte and unknown units', () => {
      for (const bad of ['0', '0GB', '1.3B', '10XB', 'GB', '-1MB', '1e9']) usageError(() => parseSize(bad, '--data-quota'));
    });
  });

  it('parseZone takes IANA names and UTC, refuses the rest', () => {
    expect(parseZone('Europe/Berlin')).to.equal('Europe/Berlin');
    expect(parseZone('utc')).to.equal('UTC');
    expect(usageError(() => parseZone('Mars/Olympus')).message).to.match(/^--tz: "Mars\/Olympus" is not a time zone/);
    usageError(() => parseZone('+02:00'));
  });

  it('parseIp takes IPv4 and IPv6, refuses the rest', () => {
    expect(parseIp('192.0.2.10', '--nas')).to.equal('192.0.2.10');
    expect(parseIp('2001:db8::1', '--nas')).to.equal('2001:db8::1');
    for (const bad of ['1.2.3', '256.1.1.1', '10.0.0.0/24', 'bras-1', '']) usageError(() => parseIp(bad, '--nas'));
  });

  it('parsePositiveInt', () => {
    expect(parsePositiveInt('25', '--limit')).to.equal(25);
    for (const bad of ['0', '-1', '2.5', 'ten']) usageError(() => parsePositiveInt(bad, '--limit'));
  });

  describe('resolveSecret', () => {
    it('prefers --secret, then --secret-file (without its newline), then the environment when allowed', () => {
      const dir = mkdtempSync(join(tmpdir(), 'radtrack-secret-'));
      const file = join(dir, 'secret');
      writeFileSync(file, 'from-file\n');
      const env = { RADTRACK_NAS_SECRET: 'from-env' };
      expect(resolveSecret({ secret: 'flag' }, env)).to.equal('flag');
      expect(resolveSecret({ secretFile: file }, env)).to.equal('from-file');
      expect(resolveSecret({}, env)).to.equal('from-env');
      expect(resolveSecret({})).to.equal(undefined);
      usageError(() => resolveSecret({ secret: 'a', secretFile: file }));
      usageError(() => resolveSecret({ secretFile: join(dir, 'missing') }));
      usageError(() => resolveSecret({ secret: '' }));
    });

    it('an empty secret is refused, naming where it came from', () => {
      const empty = join(mkdtempSync(join(tmpdir(), 'radtrack-secret-')), 'empty');
      writeFileSync(empty, '\n');
      const messages = [
        () => resolveSecret({ secretFile: empty }),
        () => resolveSecret({ secret: '' }),
        () => resolveSecret({}, { RADTRACK_NAS_SECRET: '' }),
      ].map((fn) => usageError(fn).message);
      expect(messages).to.deep.equal([
        `--secret-file: "${empty}" is empty; write the NAS secret into it`,
        '--secret is empty; give the NAS secret, better with --secret-file',
        'RADTRACK_NAS_SECRET is empty; set it to the NAS secret or unset it',
      ]);
    });
  });
});
