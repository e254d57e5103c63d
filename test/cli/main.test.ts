import { expect } from 'chai';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { expectFailure, radtrack, radtrackJson } from '../helpers/cli.ts';

describe('cli: framework, migrate, seed', () => {
  beforeEach(() => truncateAll());

  it('usage errors exit 2 with one line and a pointer to help, not the help text', async () => {
    const [none, unknownCommand, badFlag, badFormat] = await Promise.all([
      radtrack([]),
      radtrack(['frobnicate']),
      radtrack(['sessions', '--bogus']),
      radtrack(['nas', 'list', '--format', 'xml']),
    ]);
    expectFailure(none, 2, /^radtrack: no command given; run "radtrack --help" for usage$/m);
    expectFailure(unknownCommand, 2, /Unknown argument: frobnicate; run "radtrack --help"/);
    expectFailure(badFlag, 2, /Unknown argument: bogus; run "radtrack sessions --help"/);
    expectFailure(badFormat, 2, /Invalid values: .*"xml"/);
    for (const r of [none, unknownCommand, badFlag, badFormat]) expect(r.stdout).to.equal('');
  });

  it('--help exits 0', async () => {
    const help = await radtrack(['--help'], { db: false });
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/radtrack nas\s/).and.match(/radtrack sessions\s/);
  });

  it('an unreachable database exits 1 with one line that never shows the password', async () => {
    const r = await radtrack(['--db', 'postgres://billing:Pa55w0rd-x@127.0.0.1:1/radtrack', 'nas', 'list', '--format', 'json'], { db: false });
    expectFailure(r, 1, /^radtrack: database: cannot use PostgreSQL 127\.0\.0\.1:1\/radtrack: .*ECONNREFUSED.*; check --db/);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.not.contain('Pa55w0rd');
  });

  it('migrate reports an up-to-date database; seed adds the dev NAS once', async () => {
    expect(await radtrackJson<{ applied: string[] }>(['migrate'])).to.include.keys('database').and.deep.include({ applied: [] });
    const first = await radtrack(['seed']);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/01_dev_loopback\s+registered NAS 127\.0\.0\.1 "dev-loopback"/);
    const again = await radtrackJson<{ seed: string; result: string }[]>(['seed']);
    expect(again[0]!.result).to.match(/already registered; left unchanged/);
    const rows = await testKnex()('nas').select(testKnex().raw('host(address) as address'), 'name', 'secret');
    expect(rows).to.deep.equal([{ address: '127.0.0.1', name: 'dev-loopback', secret: 'testing123' }]);
    expect(first.stdout + JSON.stringify(again)).to.not.contain('testing123');
  });
});
