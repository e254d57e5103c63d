// The id caches of the batch transaction (src/ingest/id-caches.ts) are bounded and forget everything when full.
// A batch must still find the ids it resolved: a reconnect storm of new users is exactly when the maps fill up
// (bench: 100,000 Starts after an Accounting-On lost most of them, "account … was not resolved").
import { expect } from 'chai';
import { IngestConnection } from '../../src/db/sql/ingest.ts';
import { commitBatch } from '../../src/ingest/commit-batch.ts';
import { IdCaches } from '../../src/ingest/id-caches.ts';
import { openIngestOnEmptyDatabase, testKnex } from '../helpers/db.ts';
import { at, insertNas } from '../helpers/fixtures.ts';
import { toItem } from '../helpers/rule-cases.ts';

const DAY = 86_400;

describe('id caches: a batch keeps the ids it resolved when the shared maps overflow', function () {
  this.timeout(60_000);
  let conn: IngestConnection;

  // The months the packets fall in.
  before(async () => (conn = await openIngestOnEmptyDatabase(at(-40 * DAY), at(40 * DAY))));
  after(async () => conn.close());

  it('a batch of more new users and ports than the maps hold commits every session', async () => {
    const nasId = await insertNas(testKnex(), '10.8.0.1', { portPolicy: 'autoclose' });
    const nas = { id: nasId, portPolicy: 'autoclose' as const, clockLimit: 7 * DAY };
    const ids = new IdCaches({ maxEntries: 3 });
    const starts = Array.from({ length: 10 }, (_, i) =>
      toItem({ at: i, spec: { statusType: 'Start', sessionId: `storm-${i}`, userName: `user${i}`, nasPort: 100 + i } }, nas),
    );
    const outcomes = await commitBatch(conn, ids, starts);
    expect(outcomes.map((o) => o.action)).to.deep.equal(starts.map(() => 'start'));
    const rows = await testKnex()('sessions as s').join('accounts as a', 'a.id', 's.account_id').where('s.nas_id', String(nasId)).orderBy('s.acct_session_id').select('s.acct_session_id', 'a.username');
    expect(rows.map((r: { acct_session_id: string; username: string }) => `${r.acct_session_id} ${r.username}`)).to.deep.equal(
      starts.map((_, i) => `storm-${i} user${i}`).sort(),
    );
  });
});
