// `serve --metrics`: a real listener, real UDP packets, /metrics scraped over HTTP and its values read back.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { silentLogger } from '../../src/log.ts';
import { startMetricsServer, type MetricsServer } from '../../src/server/metrics.ts';
import { accountingRequest } from '../helpers/packets.ts';
import { databaseOutage, testKnex, testTarget, type DatabaseOutage } from '../helpers/db.ts';
import { insertNas, SECRET } from '../helpers/fixtures.ts';
import { useTestServer, waitFor } from '../helpers/listener.ts';
import { getHealth, scrape, type Scrape } from '../helpers/metrics.ts';

const NAS = 'nas="127.0.0.1"';

/** The series of the families asked for, all of them, so a deep-equal shows every difference. */
function pick(s: Scrape, ...families: string[]): Scrape {
  return Object.fromEntries(families.map((f) => [f, s[f] ?? {}]));
}

async function sendFromUnknownSource(port: number, datagram: Buffer): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.2', () => r()));
  await new Promise<void>((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  socket.close();
}

describe('metrics: /metrics of a running listener', function () {
  this.timeout(60_000);
  const ctx = useTestServer();
  let metrics: MetricsServer;

  beforeEach(async () => {
    metrics = await startMetricsServer({ host: '127.0.0.1', port: 0, listener: ctx.server.listener, knex: testKnex(), log: silentLogger, nasRefreshMs: 0 });
  });
  afterEach(async () => metrics.stop());

  it('counts packets by code, status type and outcome; discards and duplicates per NAS; batches; open sessions; heartbeat and clock skew', async () => {
    const { client, listener } = ctx.server;
    const eventTimestamp = Math.floor(Date.now() / 1000) - 3600;
    const start = accountingRequest({ statusType: 'Start', sessionId: 'm1', userName: 'mia', nasPort: 1, eventTimestamp }, SECRET);
    expect(await client.request(start)).to.not.equal(null);
    expect(await client.request(start), 'the copy is answered from the cache').to.not.equal(null);
    await client.send(accountingRequest({ statusType: 'Start', sessionId: 'm2', userName: 'mia', nasPort: 2 }, 'not-the-secret'));
    await client.send(start.subarray(0, 10));
    await sendFromUnknownSource(listener.address().port, start);
    // Loopback UDP keeps order: once the next packet is answered, the ones before it were handled.
    const interim = accountingRequest({ statusType: 'Interim-Update', sessionId: 'm1', userName: 'mia', nasPort: 1, sessionTime: 60 }, SECRET);
    expect(await client.request(interim)).to.not.equal(null);
    await waitFor(async () => listener.tally.totals.unknown_nas === 1, 'the unknown source to be counted');
    // Twice: the first call may join a timer's flush that took its snapshot before the last packets; the second
    // starts after it and writes the rest.
    await listener.flushTally();
    await listener.flushTally();

    const s = await scrape(metrics.address().port);
    const row = await testKnex()('nas').where({ address: '127.0.0.1' }).first('last_seen', 'clock_skew_seconds');
    expect(pick(s, 'radtrack_packets_total', 'radtrack_unknown_source_datagrams_total', 'radtrack_unacknowledged_packets_total')).to.deep.equal({
      radtrack_packets_total: {
        'code="Accounting-Request",status_type="Start",outcome="accepted"': 1,
        'code="Accounting-Request",status_type="Start",outcome="duplicate"': 1,
        'code="Accounting-Request",status_type="Interim-Update",outcome="accepted"': 1,
        'code="Accounting-Request",status_type="unknown",outcome="bad_authenticator"': 1,
        'code="unknown",status_type="unknown",outcome="malformed"': 1,
        'code="unknown",status_type="unknown",outcome="unknown_nas"': 1,
      },
      radtrack_unknown_source_datagrams_total: { '': 1 },
      radtrack_unacknowledged_packets_total: { '': 0 },
    });
    expect(pick(s, 'radtrack_discards_total', 'radtrack_duplicates_total', 'radtrack_accepted_total')).to.deep.equal({
      radtrack_discards_total: {
        [`${NAS},reason="malformed"`]: 1,
        [`${NAS},reason="bad_authenticator"`]: 1,
        [`${NAS},reason="unsupported_code"`]: 0,
        [`${NAS},reason="unprocessable"`]: 0,
      },
      radtrack_duplicates_total: { [NAS]: 1 },
      radtrack_accepted_total: { [NAS]: 2 },
    });
    expect(
      pick(s, 'radtrack_nas_info', 'radtrack_nas_open_sessions', 'radtrack_open_sessions', 'radtrack_nas_silent', 'radtrack_nas_last_seen_timestamp_seconds', 'radtrack_nas_clock_skew_seconds', 'radtrack_queue_depth', 'radtrack_database_writes_failing', 'radtrack_nas_figures_read_ok'),
    ).to.deep.equal({
      radtrack_nas_info: { [`${NAS},name="",port_policy="autoclose"`]: 1 },
      radtrack_nas_open_sessions: { [NAS]: 1 },
      radtrack_open_sessions: { '': 1 },
      radtrack_nas_silent: { [NAS]: 0 },
      radtrack_nas_last_seen_timestamp_seconds: { [NAS]: (row.last_seen as Date).getTime() / 1000 },
      radtrack_nas_clock_skew_seconds: { [NAS]: Number(row.clock_skew_seconds) },
      radtrack_queue_depth: { '': 0 },
      radtrack_database_writes_failing: { '': 0 },
      radtrack_nas_figures_read_ok: { '': 1 },
    });
    expect(Number(row.clock_skew_seconds), 'the skew is the hour the NAS clock is behind').to.be.within(-3700, -3500);
    // Start and Interim-Update were each answered before the next was sent: two batches of one packet.
    expect(pick(s, 'radtrack_batch_size_count', 'radtrack_batch_size_sum', 'radtrack_batch_commit_seconds_count')).to.deep.equal({
      radtrack_batch_size_count: { '': 2 },
      radtrack_batch_size_sum: { '': 2 },
      radtrack_batch_commit_seconds_count: { '': 2 },
    });
    expect(s.radtrack_batch_size_bucket).to.include({ 'le="1"': 2, 'le="+Inf"': 2 });
  });

  it('a NAS not heard for 3 interim intervals is silent; /health is ok; other paths are 404', async () => {
    await insertNas(testKnex(), '192.0.2.7', { name: 'bras-7', interimInterval: 60, createdAt: new Date(Date.now() - 3600_000) });
    const s = await scrape(metrics.address().port);
    expect(pick(s, 'radtrack_nas_silent', 'radtrack_nas_info')).to.deep.equal({
      radtrack_nas_silent: { [NAS]: 0, 'nas="192.0.2.7"': 1 },
      radtrack_nas_info: { [`${NAS},name="",port_policy="autoclose"`]: 1, 'nas="192.0.2.7",name="bras-7",port_policy="autoclose"': 1 },
    });
    expect(s.radtrack_nas_last_seen_timestamp_seconds ?? {}, 'never heard: no last-seen series').to.deep.equal({});
    expect(await getHealth(metrics.address().port)).to.deep.equal({
      status: 200,
      body: { status: 'ok', problems: [], udp: `127.0.0.1:${ctx.server.listener.address().port}` },
    });
    const res = await fetch(`http://127.0.0.1:${metrics.address().port}/other`);
    expect(res.status).to.equal(404);
  });
});

describe('metrics: while the database is down', function () {
  this.timeout(60_000);
  const ctx = useTestServer();
  let outage: DatabaseOutage;
  let metrics: MetricsServer;

  beforeEach(async function () {
    if (testTarget().kind !== 'postgres') this.skip(); // needs a server whose connections can be refused
    outage = databaseOutage();
    metrics = await startMetricsServer({ host: '127.0.0.1', port: 0, listener: ctx.server.listener, knex: testKnex(), log: silentLogger, nasRefreshMs: 0 });
  });

  afterEach(async () => {
    if (!outage) return;
    await outage.close();
    await metrics.stop();
  });

  it('counts the packets left unacknowledged, says writes fail, /health is 503; all clear once the database is back', async () => {
    const start = accountingRequest({ statusType: 'Start', sessionId: 'o1', userName: 'otto', nasPort: 1 }, SECRET);
    expect(await ctx.server.client.request(start)).to.not.equal(null);
    await outage.begin();

    const interim = accountingRequest({ statusType: 'Interim-Update', sessionId: 'o1', userName: 'otto', nasPort: 1, sessionTime: 60 }, SECRET);
    expect(await ctx.server.client.request(interim, 1500), 'no ACK while the database is down').to.equal(null);
    const down = await waitFor(async () => {
      const s = await scrape(metrics.address().port);
      return (s.radtrack_unacknowledged_packets_total?.[''] ?? 0) >= 1 && s.radtrack_nas_figures_read_ok?.[''] === 0 && s;
    }, 'an unacknowledged packet to be counted, and the per-NAS read to fail');
    expect(pick(down, 'radtrack_database_writes_failing')).to.deep.equal({ radtrack_database_writes_failing: { '': 1 } });
    const health = await getHealth(metrics.address().port);
    expect(health.status).to.equal(503);
    expect((health.body as { problems: string[] }).problems).to.have.length(1);
    expect((health.body as { problems: string[] }).problems[0]).to.match(/^database: writes fail since \S+Z; nothing is acknowledged/);

    await outage.end();
    await waitFor(async () => (await ctx.server.client.request(interim, 1000)) !== null, 'the retransmission to be answered');
    const up = await scrape(metrics.address().port);
    expect(pick(up, 'radtrack_database_writes_failing')).to.deep.equal({ radtrack_database_writes_failing: { '': 0 } });
    expect((await getHealth(metrics.address().port)).status).to.equal(200);
  });
});
