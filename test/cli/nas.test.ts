import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { expectFailure, radtrack, radtrackEach, radtrackJson } from '../helpers/cli.ts';
import { insertAccount, insertNas, recordSession, SECRET } from '../helpers/fixtures.ts';

function secretFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'radtrack-nas-')), 'secret');
  writeFileSync(file, content);
  return file;
}

describe('cli: nas', () => {
  beforeEach(() => truncateAll());

  it('add, set, list in every format: state fields and counters, never the secret', async () => {
    const added = await radtrackJson(['nas', 'add', '192.0.2.10', '--name', 'bras "one", north', '--interim-interval', '10m'], { env: { RADTRACK_NAS_SECRET: SECRET } });
    expect(added).to.deep.equal({ address: '192.0.2.10', name: 'bras "one", north', port_policy: 'autoclose', interim_interval: 600 });
    const knex = testKnex();
    const before = await knex('nas').where({ address: '192.0.2.10' }).first('secret', 'updated_at');
    expect(before.secret).to.equal(SECRET);

    const set = await radtrack(['nas', 'set', '192.0.2.10', '--port-policy', 'flag', '--secret-file', secretFile('new-secret-2\n')]);
    expect([set.code, set.stderr]).to.deep.equal([0, '']);
    expect(set.stdout).to.match(/^changed NAS 192\.0\.2\.10 "bras "one", north" \(port policy flag, interim interval 600 s\), new secret\n$/);
    const after = await knex('nas').where({ address: '192.0.2.10' }).first('secret', 'updated_at');
    expect(after.secret).to.equal('new-secret-2');
    expect(after.updated_at.getTime()).to.be.greaterThan(before.updated_at.getTime()); // the listener polls this

    const nasId = await insertNas(knex, '2001:db8::7', { lastSeen: new Date(Date.now() - 30_000), columns: { accepted: 2n ** 40n, clock_skew_seconds: -3 } });
    const alice = await insertAccount(knex, 'alice');
    await recordSession(knex, { nasId, accountId: alice, acctSessionId: 'a', login: new Date('2026-11-20T10:00:00Z') });

    const [table, json, csv] = await radtrackEach([
      ['nas', 'list'],
      ['nas', 'list', '--format', 'json'],
      ['nas', 'list', '--format', 'csv'],
    ]);
    for (const r of [added, set, table, json, csv]) expect(JSON.stringify(r)).to.not.contain('secret-2').and.not.contain(SECRET);
    const list = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(list.map((n) => n.address)).to.deep.equal(['192.0.2.10', '2001:db8::7']);
    expect(list[1]).to.deep.equal({
      address: '2001:db8::7',
      name: null,
      port_policy: 'autoclose',
      interim_interval: 300,
      last_seen: list[1]!.last_seen,
      last_restart: null,
      open_sessions: 1,
      state: 'up',
      accepted: 2 ** 40,
      duplicates: 0,
      malformed: 0,
      bad_authenticator: 0,
      unsupported_code: 0,
      unprocessable: 0,
      clock_skew: -3,
      has_secret: true,
    });
    expect(list[1]!.last_seen).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // Never heard from, registered seconds ago: silence counts from registration (src/accounting/heartbeat.ts).
    expect(list[0]!.state).to.equal('up');
    expect(csv.stdout.split('\n')[0]).to.equal(
      'address,name,port_policy,interim_interval,last_seen,last_restart,open_sessions,state,accepted,duplicates,malformed,bad_authenticator,unsupported_code,unprocessable,clock_skew,has_secret',
    );
    expect(csv.stdout.split('\n')[1]).to.equal('192.0.2.10,"bras ""one"", north",flag,600,,,0,up,0,0,0,0,0,0,,true');
    expect(table.stdout.split('\n')[0]).to.match(/^address\s+name\s+policy/);
  });

  it('a NAS silent for more than 3 interim intervals is silent', async () => {
    await insertNas(testKnex(), '192.0.2.20', { interimInterval: 60, lastSeen: new Date(Date.now() - 181_000) });
    const [nas] = await radtrackJson<{ state: string }[]>(['nas', 'list']);
    expect(nas!.state).to.equal('silent');
  });

  it('takes the secret from RADTRACK_NAS_SECRET or --secret-file instead of the command line', async () => {
    await radtrackJson(['nas', 'add', '192.0.2.30'], { env: { RADTRACK_NAS_SECRET: 'from-the-env' } });
    await radtrackJson(['nas', 'add', '192.0.2.31', '--secret-file', secretFile('from-a-file\n')]);
    const rows = await testKnex()('nas').orderBy('address').select('secret');
    expect(rows.map((r) => r.secret)).to.deep.equal(['from-the-env', 'from-a-file']);
  });

  it('--secret still works, then warns on stderr (one line, without the secret); a failure prints only its error', async () => {
    const add = await radtrack(['nas', 'add', '192.0.2.32', '--secret', SECRET]);
    expect([add.code, add.stdout]).to.deep.equal([0, 'added NAS 192.0.2.32 (port policy autoclose, interim interval 300 s)\n']);
    expect(add.stderr).to.equal('radtrack: warning: --secret leaves the NAS secret in the shell history and in ps; use --secret-file FILE or RADTRACK_NAS_SECRET instead\n');
    const set = await radtrack(['nas', 'set', '192.0.2.32', '--secret', 'other-Secret-3', '--format', 'json']);
    expect([set.code, JSON.parse(set.stdout).address]).to.deep.equal([0, '192.0.2.32']);
    expect(set.stderr).to.equal('radtrack: warning: --secret leaves the NAS secret in the shell history and in ps; use --secret-file FILE instead\n');
    const rows = await testKnex()('nas').select('secret');
    expect(rows.map((r) => r.secret)).to.deep.equal(['other-Secret-3']);
    const again = await radtrack(['nas', 'add', '192.0.2.32', '--secret', SECRET]);
    expectFailure(again, 3, /already registered/);
  });

  it('refuses a second add (3), a set or remove of an unknown NAS (1), and bad values (2)', async () => {
    await insertNas(testKnex(), '192.0.2.10');
    const [dup, unknownSet, unknownRemove] = await radtrackEach([
      ['nas', 'add', '192.0.2.10', '--secret', 'x'],
      ['nas', 'set', '192.0.2.99', '--name', 'x'],
      ['nas', 'remove', '192.0.2.99'],
    ]);
    // Usage errors are found before the database is opened, so these may run side by side.
    const [badIp, badPolicy, noSecret, nothing, badInterval] = await Promise.all([
      radtrack(['nas', 'add', '192.0.2.300', '--secret', 'x']),
      radtrack(['nas', 'add', '192.0.2.11', '--secret', 'x', '--port-policy', 'sometimes']),
      radtrack(['nas', 'add', '192.0.2.11']),
      radtrack(['nas', 'set', '192.0.2.10']),
      radtrack(['nas', 'set', '192.0.2.10', '--interim-interval', '0']),
    ]);
    expectFailure(dup, 3, /already registered; use "radtrack nas set 192\.0\.2\.10/);
    expectFailure(unknownSet, 1, /no NAS 192\.0\.2\.99 is registered/);
    expectFailure(unknownRemove, 1, /no NAS 192\.0\.2\.99/);
    expectFailure(badIp, 2, /"192\.0\.2\.300" is not an IP address/);
    expectFailure(badPolicy, 2, /port-policy.*sometimes/);
    expectFailure(noSecret, 2, /^radtrack: nas add: no secret; give --secret-file FILE or set RADTRACK_NAS_SECRET\n$/);
    expectFailure(nothing, 2, /nothing to change/);
    expectFailure(badInterval, 2, /--interim-interval: "0"/);
  });

  it('--interim-interval is 1 s to 1 day: a larger one is refused (2) before anything is stored', async () => {
    const env = { RADTRACK_NAS_SECRET: SECRET };
    const [huge, justOver] = await Promise.all([
      radtrack(['nas', 'add', '192.0.2.40', '--interim-interval', '1300w'], { env }),
      radtrack(['nas', 'set', '192.0.2.40', '--interim-interval', '86401']),
    ]);
    expectFailure(huge, 2, /^radtrack: --interim-interval: "1300w" \(786240000 s\) is out of range; use 1 s to 86400 s \(1d\)\n$/);
    expectFailure(justOver, 2, /^radtrack: --interim-interval: "86401" is out of range; use 1 s to 86400 s \(1d\)\n$/);
    expect(await testKnex()('nas').count('* as n').first()).to.deep.equal({ n: 0n });
    const day = await radtrackJson<{ interim_interval: number }>(['nas', 'add', '192.0.2.40', '--interim-interval', '1d'], { env });
    expect(day.interim_interval).to.equal(86_400);
  });

  it('remove is refused while sessions reference the NAS, and works once they are gone', async () => {
    const knex = testKnex();
    const nasId = await insertNas(knex, '192.0.2.10');
    const bob = await insertAccount(knex, 'bob');
    await recordSession(knex, { nasId, accountId: bob, acctSessionId: 's1', login: new Date('2026-11-01T00:00:00Z'), stop: { at: new Date('2026-11-01T01:00:00Z'), input: 0n, output: 0n }, port: '1' });
    const refused = await radtrack(['nas', 'remove', '192.0.2.10']);
    expectFailure(refused, 3, /NAS 192\.0\.2\.10 has 1 session \(0 open\); it cannot be removed .* "radtrack purge --before <date>"/);
    await knex('sessions').delete();
    expect(await radtrackJson(['nas', 'remove', '192.0.2.10'])).to.deep.equal({ address: '192.0.2.10', removed: true });
    expect(await knex('nas').count('* as n').first()).to.deep.equal({ n: 0n });
  });

  it('unknown lists the unregistered sources', async () => {
    await testKnex()('unknown_sources').insert({ address: '198.51.100.9', first_seen: '2026-11-20T10:00:00Z', last_seen: '2026-11-21T10:00:00Z', count: 42 });
    expect(await radtrackJson(['nas', 'unknown'])).to.deep.equal([
      { address: '198.51.100.9', first_seen: '2026-11-20T10:00:00Z', last_seen: '2026-11-21T10:00:00Z', count: 42 },
    ]);
  });
});
