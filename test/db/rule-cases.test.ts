// The rule table (test/helpers/rule-cases.ts) replayed through the real batch transaction: commitBatch
// (src/ingest/commit-batch.ts) on an IngestConnection (src/db/sql/ingest.ts), the code path the listener's lanes
// use, on this run's database (npm test runs it on PostgreSQL and on the embedded backend). The expectations are
// the same ones the in-memory replay (test/unit/accounting/rule-cases.test.ts) meets.
import { expect } from 'chai';
import { IngestConnection } from '../../src/db/sql/ingest.ts';
import { commitBatch } from '../../src/ingest/commit-batch.ts';
import type { ItemAction } from '../../src/ingest/batch-state.ts';
import { IdCaches } from '../../src/ingest/id-caches.ts';
import type { DbSession } from '../../src/db/rows.ts';
import { sessionFromRow } from '../../src/db/rows.ts';
import { openIngestOnEmptyDatabase, testKnex } from '../helpers/db.ts';
import { at, insertNas, sinceT0 } from '../helpers/fixtures.ts';
import {
  batchesOf,
  caseNas,
  expectedOutcome,
  RULE_CASES,
  sessionRow,
  toItem,
  type CaseOutcome,
  type RuleCase,
} from '../helpers/rule-cases.ts';

const DAY = 86_400;

type StoredRow = DbSession & { username: string; port_key: string | null; usage_seconds: number; usage_input: bigint; usage_output: bigint };

async function stored(nasId: bigint): Promise<CaseOutcome['sessions']> {
  const { rows } = await testKnex().raw<{ rows: StoredRow[] }>(
    `SELECT s.*, a.username, p.port_key,
            coalesce(u.seconds, 0)::float8 AS usage_seconds, coalesce(u.input, 0)::int8 AS usage_input, coalesce(u.output, 0)::int8 AS usage_output
       FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN ports p ON p.id = s.port_id
       LEFT JOIN (SELECT session_id, sum(seconds) AS seconds, sum(input_octets) AS input, sum(output_octets) AS output
                    FROM usage_deltas GROUP BY session_id) u ON u.session_id = s.id
      WHERE s.nas_id = ? ORDER BY s.login, s.id`,
    [String(nasId)],
  );
  return rows.map((r) => sessionRow(sessionFromRow(r), r.username, r.port_key, { seconds: r.usage_seconds, input: r.usage_input, output: r.usage_output }));
}

let replays = 0;

/** Each replay has a NAS of its own (sessions, ports, journal and restarts are per NAS), so none sees another's rows. */
async function replay(conn: IngestConnection, c: RuleCase, batched: boolean): Promise<CaseOutcome> {
  const n = replays++;
  const clockLimit = c.nas?.clockLimit;
  const nasId = await insertNas(testKnex(), `10.9.${n >> 8}.${n & 255}`, {
    portPolicy: c.nas?.portPolicy,
    columns: clockLimit === undefined ? {} : { max_clock_offset: clockLimit },
  });
  const items = c.packets.map((p) => toItem(p, caseNas(c, nasId)));
  const ids = new IdCaches();
  const actions: ItemAction[] = [];
  for (const batch of batched ? batchesOf(items) : items.map((i) => [i])) {
    actions.push(...(await commitBatch(conn, ids, batch)).map((o) => o.action));
  }
  const [nas] = await testKnex()('nas').where({ id: nasId }).select('last_restart');
  // The journal has a row per packet, with its action (the journal has no order of its own within an arrival).
  const journal = await testKnex()('journal').where({ nas_id: nasId }).select('arrival', 'action');
  const byArrival = (rows: { at: number; action: string }[]) => rows.map((r) => `${r.at} ${r.action}`).sort();
  expect(byArrival(journal.map((j: { arrival: Date; action: string }) => ({ at: sinceT0(j.arrival), action: j.action.split(' ')[0]! }))), 'journal').to.deep.equal(
    byArrival(c.packets.map((p, i) => ({ at: p.at, action: actions[i]! }))),
  );
  return { actions, sessions: await stored(nasId), lastRestart: nas.last_restart === null ? null : sinceT0(nas.last_restart) };
}

describe('rule table through the batch transaction (test/helpers/rule-cases.ts)', function () {
  this.timeout(120_000);
  let conn: IngestConnection;

  // Every month a case's times fall in.
  before(async () => (conn = await openIngestOnEmptyDatabase(at(-40 * DAY), at(40 * DAY))));
  after(async () => conn.close());

  for (const c of RULE_CASES) {
    describe(`${c.rule}: ${c.name}`, () => {
      it('one packet per batch', async () => expect(await replay(conn, c, false)).to.deep.equal(expectedOutcome(c)));
      it('consecutive packets in one batch', async () => expect(await replay(conn, c, true)).to.deep.equal(expectedOutcome(c)));
    });
  }
});
