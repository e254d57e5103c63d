// The ingest batch's statements, on one dedicated connection per lane (src/ingest/commit-batch.ts). They go
// through node-postgres directly, with binary array parameters: a batch is four round trips whatever its size.
// Not as named prepared statements: the embedded database is one backend session shared by every client, where
// a second connection's PREPARE of the same name fails; the planning that matters is inside the server-side
// functions, whose plans every session keeps anyway. The server side is in migration
// 20261202000000_partitioned_ingest (radtrack_lock_and_load, radtrack_write_batch, radtrack_ensure_partitions).
import pg from 'pg';
import '../int8.ts';
import type { SessionState } from '../../accounting/session.ts';
import { encodeArray, encodeCompositeArray, type ColumnValue, type CompositeType } from '../binary.ts';
import type { PgConnection } from '../knex.ts';
import { nasLockKeys } from './ingest-locks.ts';
import type { UsageDelta } from './usage.ts';
import { sessionFromRow, type DbSession } from '../rows.ts';

export interface JournalRow {
  arrival: Date;
  nasId: bigint;
  sessionId: bigint | null;
  action: string;
  raw: Buffer;
}

/** Everything one batch changed, sorted by what has to happen to each session row. */
export interface BatchWrite {
  /** Open sessions that closed: they leave sessions_open. */
  openLeaving: bigint[];
  /** Closed sessions changed again (a late packet): they leave their month, identified by their old logout. */
  closedLeaving: { id: bigint; logout: Date }[];
  /** Open sessions that stay open, changed in place. */
  updated: SessionState[];
  /** New sessions, and the leaving ones in their new state. */
  inserted: SessionState[];
  journal: JournalRow[];
  usage: UsageDelta[];
}

interface Types {
  session: CompositeType;
  sessionRef: CompositeType;
  packet: CompositeType;
  usage: CompositeType;
}

const SESSION_COLUMNS = [
  'int8', 'int8', 'int8', 'int8', 'text', 'timestamptz', 'timestamptz', 'timestamptz', 'int8', 'int8', 'int8', 'int8',
  'int8', 'inet', 'text', 'text', 'text', 'text', 'bool', 'textArray', 'int4', 'bool',
] as const;

function sessionValues(s: SessionState): ColumnValue[] {
  return [
    s.id, s.nasId, s.portId, s.accountId, s.acctSessionId, s.login, s.logout, s.lastUpdate, s.sessionTime, s.inputOctets,
    s.outputOctets, s.inputPackets, s.outputPackets, s.framedIp, s.callingStationId, s.calledStationId, s.terminateCause,
    s.closeReason, s.logoutEstimated, s.flags, s.interimCount, s.exclusivePort,
  ];
}

/** What one closeStaleOfNas page closed. */
export interface StaleClosed {
  closed: number;
  /** The last id it closed (afterId when none): the next page's afterId. */
  lastId: bigint;
  listed: { id: bigint; username: string; login: Date; lastUpdate: Date }[];
}

/** One lane's connection to the database, with the composite type OIDs of this database. */
export class IngestConnection {
  private broken = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly types: Types,
  ) {
    const lost = () => (this.broken = true);
    client.on('error', lost);
    client.on('end', lost);
  }

  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Queries run one after the other on the connection, each sent the moment the one before it is answered:
   * callers issue several without waiting (commit-batch.ts), and a batch then costs two turns of the event loop.
   * The chain is ours, not node-postgres's queue (which warns it will go away in pg 9).
   */
  private query<R extends pg.QueryResultRow>(config: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const run = () => this.client.query<R>(config as pg.QueryConfig, values);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** False once the connection failed or ended: open a new one. */
  get usable(): boolean {
    return !this.broken;
  }

  static async open(connection: PgConnection): Promise<IngestConnection> {
    const client = new pg.Client(typeof connection === 'string' ? { connectionString: connection } : connection);
    // A broken connection is reported by the query that uses it; without a listener the 'error' event would
    // crash the process.
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ session: number; ref: number; packet: number; usage: number }>(
        `SELECT 'radtrack_session'::regtype::oid::int AS session, 'radtrack_session_ref'::regtype::oid::int AS ref,
                'radtrack_packet'::regtype::oid::int AS packet, 'radtrack_usage'::regtype::oid::int AS usage`,
      );
      const oids = rows[0]!;
      return new IngestConnection(client, {
        session: { oid: oids.session, columns: SESSION_COLUMNS },
        sessionRef: { oid: oids.ref, columns: ['int8', 'timestamptz'] },
        packet: { oid: oids.packet, columns: ['timestamptz', 'int8', 'int8', 'text', 'bytea'] },
        usage: { oid: oids.usage, columns: ['int8', 'int8', 'timestamptz', 'timestamptz', 'float8', 'int8', 'int8'] },
      });
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.client.end();
  }

  begin(): Promise<unknown> {
    return this.query('BEGIN');
  }

  commit(): Promise<unknown> {
    return this.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.query('ROLLBACK');
  }

  /** Accounts by username; unknown ones are created, not provisioned (§7: accounting data is never dropped). */
  async ensureAccounts(usernames: string[]): Promise<Map<string, bigint>> {
    const { rows } = await this.query<{ id: bigint; username: string }>({
      text: `WITH input AS (SELECT DISTINCT unnest($1::text[]) AS username),
                  created AS (INSERT INTO accounts (username) SELECT username FROM input
                              ON CONFLICT (username) DO NOTHING RETURNING id, username)
             SELECT id, username FROM created
             UNION ALL SELECT a.id, a.username FROM accounts a JOIN input USING (username)`,
      values: [encodeArray('text', usernames)],
    });
    return new Map(rows.map((r) => [r.username, r.id]));
  }

  /** Ports by NAS and key (NAS-Port-Id, else NAS-Port), created on first sight (§4). */
  async ensurePorts(ports: { nasId: bigint; portKey: string }[]): Promise<{ nasId: bigint; portKey: string; id: bigint }[]> {
    const { rows } = await this.query<{ id: bigint; nas_id: bigint; port_key: string }>({
      text: `WITH input AS (SELECT DISTINCT * FROM unnest($1::int8[], $2::text[]) AS i(nas_id, port_key)),
                  created AS (INSERT INTO ports (nas_id, port_key) SELECT nas_id, port_key FROM input
                              ON CONFLICT (nas_id, port_key) DO NOTHING RETURNING id, nas_id, port_key)
             SELECT id, nas_id, port_key FROM created
             UNION ALL SELECT p.id, p.nas_id, p.port_key FROM ports p JOIN input USING (nas_id, port_key)`,
      values: [encodeArray('int8', ports.map((p) => p.nasId)), encodeArray('text', ports.map((p) => p.portKey))],
    });
    return rows.map((r) => ({ nasId: r.nas_id, portKey: r.port_key, id: r.id }));
  }

  /** Session ids, taken ahead in blocks (a sequence is outside transactions; gaps are harmless). */
  async allocateSessionIds(count: number): Promise<bigint[]> {
    const { rows } = await this.query<{ id: bigint }>({
      text: `SELECT nextval('sessions_id_seq') AS id FROM generate_series(1, $1::int)`,
      values: [count],
    });
    return rows.map((r) => r.id);
  }

  /**
   * Takes the batch's ingest locks (sorted) and reads the sessions it can touch (see the migration): by identity,
   * and the open ones on `ports` (for §6).
   */
  async lockAndLoad(
    lockKeys: bigint[],
    identities: { nasId: bigint; acctSessionId: string }[],
    ports: { nasId: bigint; portKey: string }[],
    closedSince: Date,
    closedUntil: Date,
  ): Promise<SessionState[]> {
    const { rows } = await this.query<DbSession>({
      text: `SELECT * FROM radtrack_lock_and_load($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::text[],
                                                  $6::timestamptz, $7::timestamptz)`,
      values: [
        encodeArray('int8', lockKeys),
        encodeArray('int8', identities.map((i) => i.nasId)),
        encodeArray('text', identities.map((i) => i.acctSessionId)),
        encodeArray('int8', ports.map((p) => p.nasId)),
        encodeArray('text', ports.map((p) => p.portKey)),
        closedSince,
        closedUntil,
      ],
    });
    return rows.map(sessionFromRow);
  }

  /** Open sessions of a NAS that began at or before `at`, by id after `afterId` (keyset pages). */
  async openSessionsOfNas(nasId: bigint, at: Date, afterId: bigint, limit: number): Promise<SessionState[]> {
    const { rows } = await this.query<DbSession>({
      text: `SELECT * FROM sessions_open WHERE nas_id = $1 AND login <= $2 AND id > $3 ORDER BY id LIMIT $4`,
      values: [String(nasId), at, String(afterId), limit],
    });
    return rows.map(sessionFromRow);
  }

  /**
   * Open sessions of a NAS whose last update is before `before`, by id after `afterId` (keyset pages), each with
   * its account's username.
   */
  async quietSessionsOfNas(nasId: bigint, before: Date, afterId: bigint, limit: number): Promise<{ session: SessionState; username: string }[]> {
    const { rows } = await this.query<DbSession & { username: string }>({
      text: `SELECT s.*, a.username FROM sessions_open s JOIN accounts a ON a.id = s.account_id
              WHERE s.nas_id = $1 AND s.last_update < $2 AND s.id > $3 ORDER BY s.id LIMIT $4`,
      values: [String(nasId), before, String(afterId), limit],
    });
    return rows.map((r) => ({ session: sessionFromRow(r), username: r.username }));
  }

  /**
   * Which of these NASes have an open session last updated before its `before` — one sequential pass over
   * sessions_open for all of them (the condition is not indexable on purpose): a NAS without any is skipped, where
   * paging its sessions by (nas_id, id) would fetch every one of them from the heap, one at a time.
   */
  async nasesWithQuietSessions(nasIds: bigint[], befores: Date[]): Promise<Set<bigint>> {
    if (nasIds.length === 0) return new Set();
    const { rows } = await this.query<{ nas_id: bigint }>({
      text: `SELECT DISTINCT s.nas_id FROM sessions_open s
             WHERE s.last_update < ($2::timestamptz[])[array_position($1::int8[], s.nas_id)]`,
      values: [encodeArray('int8', nasIds), befores.map((b) => b.toISOString())],
    });
    return new Set(rows.map((r) => r.nas_id));
  }

  /**
   * Closes as stale the first `limit` open sessions of a NAS, by id after `afterId`, last updated before `before`,
   * in one call of radtrack_close_stale (migration 20261203050000: the stale rule of docs/accounting.md §10, where it lives). Call it holding
   * the NAS's ingest locks. Returns how many it closed, the last id, and the first `list` of them (by id) with
   * their usernames. A logout in a month without a partition fails with check_violation: see staleLogoutRange.
   */
  async closeStaleOfNas(nasId: bigint, before: Date, afterId: bigint, limit: number, list: number): Promise<StaleClosed> {
    const { rows } = await this.query<{ closed_id: bigint; username: string; login: Date; last_update: Date; closed: number; last_id: bigint }>({
      text: 'SELECT * FROM radtrack_close_stale($1, $2, $3, $4, $5)',
      values: [String(nasId), before, String(afterId), limit, list],
    });
    const first = rows[0];
    if (!first) return { closed: 0, lastId: afterId, listed: [] };
    const listed = rows.slice(0, list).map((r) => ({ id: r.closed_id, username: r.username, login: r.login, lastUpdate: r.last_update }));
    return { closed: first.closed, lastId: first.last_id, listed };
  }

  /** The earliest and latest logout the next closeStaleOfNas page would give (null: no page). */
  async staleLogoutRange(nasId: bigint, before: Date, afterId: bigint, limit: number): Promise<{ from: Date; to: Date } | null> {
    const { rows } = await this.query<{ from: Date | null; to: Date | null }>({
      text: `SELECT min(greatest(s.last_update, s.login)) AS from, max(greatest(s.last_update, s.login)) AS to
             FROM sessions_open s WHERE s.id IN (
               SELECT id FROM sessions_open WHERE nas_id = $1 AND last_update < $2 AND id > $3 ORDER BY id LIMIT $4)`,
      values: [String(nasId), before, String(afterId), limit],
    });
    const r = rows[0];
    return r?.from && r.to ? { from: r.from, to: r.to } : null;
  }

  /** Every ingest lock of a NAS, for this transaction (src/db/sql/ingest-locks.ts): no listener writes its sessions. */
  async lockNas(nasId: bigint): Promise<void> {
    await this.query({ text: 'SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::int8[]) AS k', values: [encodeArray('int8', nasLockKeys(nasId))] });
  }

  /** The NAS's last recorded restart, and records a later one (never moves backwards). */
  async lastRestart(nasId: bigint): Promise<Date | null> {
    const { rows } = await this.query<{ last_restart: Date | null }>({
      text: 'SELECT last_restart FROM nas WHERE id = $1',
      values: [String(nasId)],
    });
    return rows[0]?.last_restart ?? null;
  }

  async recordRestart(nasId: bigint, at: Date): Promise<void> {
    await this.query({
      text: 'UPDATE nas SET last_restart = GREATEST(last_restart, $2) WHERE id = $1',
      values: [String(nasId), at],
    });
  }

  async write(w: BatchWrite): Promise<void> {
    const t = this.types;
    await this.query({
      text: `SELECT radtrack_write_batch($1::int8[], $2::radtrack_session_ref[], $3::radtrack_session[], $4::radtrack_session[],
                                         $5::radtrack_packet[], $6::radtrack_usage[])`,
      values: [
        encodeArray('int8', w.openLeaving),
        encodeCompositeArray(t.sessionRef, w.closedLeaving.map((r) => [r.id, r.logout])),
        encodeCompositeArray(t.session, w.updated.map(sessionValues)),
        encodeCompositeArray(t.session, w.inserted.map(sessionValues)),
        encodeCompositeArray(t.packet, w.journal.map((j) => [j.arrival, j.nasId, j.sessionId, j.action, j.raw])),
        encodeCompositeArray(t.usage, w.usage.map((u) => [u.accountId, u.sessionId, u.t0, u.t1, u.seconds, u.inputOctets, u.outputOctets])),
      ],
    });
  }

  /** Monthly partitions covering [from, to]; in its own transaction (DDL takes locks ingest should not hold). */
  async ensurePartitions(from: Date, to: Date): Promise<number> {
    const { rows } = await this.query<{ made: number }>('SELECT radtrack_ensure_partitions($1, $2) AS made', [from, to]);
    return rows[0]!.made;
  }
}
