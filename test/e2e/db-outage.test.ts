// §2: with the database unavailable nothing is acknowledged; when it returns, the NAS's retransmission is
// stored and answered, once. A real outage: the server refuses and drops this database's connections.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex.ts';
import { silentLogger } from '../../src/log.ts';
import { LISTENER_DEFAULTS } from '../../src/config/config.ts';
import { startListener, type Listener } from '../../src/server/listener.ts';
import { accountingRequest, responseProblem } from '../helpers/packets.ts';
import { databaseOutage, testConnection, testKnex, testTarget, truncateAll, type DatabaseOutage } from '../helpers/db.ts';
import { insertNas, SECRET } from '../helpers/fixtures.ts';
import { makeClient, type TestClient } from '../helpers/listener.ts';

describe('listener: database outage', function () {
  this.timeout(60_000);
  let outage: DatabaseOutage;
  let own: Knex;
  let listener: Listener;
  let client: TestClient;

  before(function () {
    if (testTarget().kind !== 'postgres') this.skip(); // needs a server whose connections can be refused
  });

  beforeEach(async () => {
    await truncateAll();
    await insertNas(testKnex(), '127.0.0.1');
    outage = databaseOutage();
    own = createKnex(testConnection(), 2);
    listener = await startListener({ ...LISTENER_DEFAULTS, knex: own, connection: testConnection(), log: silentLogger, host: '127.0.0.1', port: 0 });
    client = await makeClient(listener.address().port);
  });

  afterEach(async () => {
    await outage.end();
    client.close();
    await listener.stop();
    await own.destroy();
    await outage.close();
  });

  it('sends no Accounting-Response while the database is down, and stores the retransmission once it is back', async () => {
    const start = accountingRequest({ statusType: 'Start', sessionId: 'D1', userName: 'dora', nasPort: 1 }, SECRET);
    expect(await client.request(start)).to.not.equal(null);

    await outage.begin();
    const interim = accountingRequest({ statusType: 'Interim-Update', sessionId: 'D1', userName: 'dora', nasPort: 1, sessionTime: 60, inputOctets: 123, outputOctets: 456 }, SECRET);
    expect(await client.request(interim, 1500), 'no ACK while the database is down').to.equal(null);
    expect(await client.request(interim, 1500), 'nor for the retransmission').to.equal(null);

    await outage.end();
    let response: Buffer | null = null;
    for (let i = 0; i < 20 && !response; i++) response = await client.request(interim, 1000);
    expect(response, 'answered after recovery').to.not.equal(null);
    expect(responseProblem(response!, interim, SECRET)).to.equal(null);

    const rows = await testKnex()('sessions').select('interim_count', 'input_octets', 'output_octets');
    expect(rows).to.deep.equal([{ interim_count: 1, input_octets: 123n, output_octets: 456n }]);
    expect(await testKnex()('journal').count({ n: '*' }).first()).to.deep.equal({ n: 2n });
  });
});
