// The one fixtures module, for unit and database tests alike: the test secret, the time builders (T0, at, ev),
// and NASes, accounts and sessions for tests that need rows without sending packets. Sessions and their usage
// are written through the ingest batch's own write function (radtrack_write_batch), so a fixture row is exactly
// what the listener would have stored.
import type { Knex } from 'knex';
import type { SessionEvent } from '../../src/accounting/event.ts';
import type { PortPolicy } from '../../src/accounting/port-policy.ts';
import type { CloseReason, SessionFlag, SessionState } from '../../src/accounting/session.ts';
import { IngestConnection } from '../../src/db/sql/ingest.ts';
import type { UsageDelta } from '../../src/db/sql/usage.ts';
import { testConnection, testKnex, truncateAll } from './db.ts';

/** The shared secret of every test NAS, and of the packets unit tests sign. */
export const SECRET = 'test-secret-9f2c';

/** The secret of the development NAS that `radtrack seed` and `npm start` register (seeds/01_dev_loopback.ts). */
export const DEV_SECRET = 'testing123';

/** The instant unit tests and the rule table (test/helpers/rule-cases.ts) count from. */
export const T0 = new Date('2026-11-20T10:00:00Z');

/** A time: an ISO 8601 string, or a number of seconds after T0. */
export const at = (t: string | number): Date => (typeof t === 'string' ? new Date(t) : new Date(T0.getTime() + t * 1000));

/** The seconds after T0 of a time: what unit tests and rule cases compare, so a failure reads as offsets. */
export const sinceT0 = (d: Date): number => (d.getTime() - T0.getTime()) / 1000;

/** An Event-Timestamp attribute value (whole seconds since the epoch), `s` seconds after T0. */
export const eventTimestampAt = (s: number): number => Math.round(T0.getTime() / 1000 + s);

/** A session event as to-event.ts makes it, at `t` seconds after T0 (arrival = event time), for session s1 of alice on port 7. */
export function ev(kind: SessionEvent['kind'], t: number, extra: Partial<SessionEvent> = {}): SessionEvent {
  return { kind, time: at(t), arrival: at(t), acctSessionId: 's1', username: 'alice', portKey: '7', counters: {}, flags: [], ...extra };
}

export interface NasFixture {
  name?: string;
  secret?: string;
  portPolicy?: PortPolicy;
  interimInterval?: number;
  lastSeen?: Date | null;
  createdAt?: Date;
  /** Heartbeat and counter columns as the listener leaves them (accepted, clock_skew_seconds, …). */
  columns?: Record<string, unknown>;
}

export async function insertNas(knex: Knex, address: string, opts: NasFixture = {}): Promise<bigint> {
  const [row] = await knex('nas')
    .insert({
      address,
      name: opts.name ?? null,
      secret: opts.secret ?? SECRET,
      port_policy: opts.portPolicy ?? 'autoclose',
      interim_interval: opts.interimInterval ?? 300,
      last_seen: opts.lastSeen ?? null,
      ...(opts.createdAt ? { created_at: opts.createdAt } : {}),
      ...opts.columns,
    })
    .returning('id');
  return row.id as bigint;
}

/**
 * A clean database with these NASes (by address, with the defaults of insertNas) and accounts (by username):
 * their ids, in the order given and by username.
 */
export async function cleanDatabase(addresses: string[], usernames: string[]): Promise<[bigint[], Record<string, bigint>]> {
  await truncateAll();
  const nasIds: bigint[] = [];
  for (const address of addresses) nasIds.push(await insertNas(testKnex(), address));
  const accountIds: Record<string, bigint> = {};
  for (const username of usernames) accountIds[username] = await insertAccount(testKnex(), username);
  return [nasIds, accountIds];
}

export async function insertAccount(
  knex: Knex,
  username: string,
  quota: { timeQuotaSeconds?: bigint; dataQuotaBytes?: bigint; provisioned?: boolean; cycleDay?: number; cycleTz?: string } = {},
): Promise<bigint> {
  const [row] = await knex('accounts')
    .insert({
      username,
      provisioned: quota.provisioned ?? false,
      time_quota_seconds: quota.timeQuotaSeconds ?? null,
      data_quota_bytes: quota.dataQuotaBytes ?? null,
      cycle_day: quota.cycleDay ?? null,
      cycle_tz: quota.cycleTz ?? null,
    })
    .returning('id');
  return row.id as bigint;
}

export interface Update {
  at: Date;
  input: bigint;
  output: bigint;
}

export interface SessionSpec {
  nasId: bigint;
  accountId: bigint;
  acctSessionId?: string;
  port?: string;
  login: Date;
  /** Interim updates (cumulative counters), oldest first; the session's last_update is the last one's time. */
  updates?: Update[];
  /** Closes the session at this time with these final counters. */
  stop?: Update & { reason?: CloseReason };
  framedIp?: string;
  flags?: SessionFlag[];
  /** Other columns, as the listener would have set them. */
  fields?: Partial<Pick<SessionState, 'sessionTime' | 'inputPackets' | 'outputPackets' | 'callingStationId' | 'calledStationId' | 'terminateCause' | 'interimCount' | 'logoutEstimated'>>;
}

let conn: Promise<IngestConnection> | null = null;

/** The ingest connection fixtures write through; a new one after a test that cut the database off. */
async function fixtureConnection(): Promise<IngestConnection> {
  if (conn && !(await conn).usable) conn = null;
  return (conn ??= IngestConnection.open(testConnection()));
}

export async function closeFixtures(): Promise<void> {
  if (conn) await (await conn).close();
  conn = null;
}

/**
 * Stores a session and its usage the way the listener does: one delta per update, covering the time since the
 * previous one and carrying the counter increase. Returns the session id.
 */
export async function recordSession(knex: Knex, spec: SessionSpec): Promise<bigint> {
  const points: Update[] = [{ at: spec.login, input: 0n, output: 0n }, ...(spec.updates ?? [])];
  if (spec.stop) points.push(spec.stop);
  const last = points[points.length - 1]!;
  let portId: bigint | null = null;
  if (spec.port !== undefined) {
    const [port] = await knex('ports')
      .insert({ nas_id: spec.nasId, port_key: spec.port })
      .onConflict(['nas_id', 'port_key'])
      .merge()
      .returning('id');
    portId = port.id as bigint;
  }
  const c = await fixtureConnection();
  const [id] = await c.allocateSessionIds(1);
  const session: SessionState = {
    id: id!,
    nasId: spec.nasId,
    portId,
    accountId: spec.accountId,
    acctSessionId: spec.acctSessionId ?? `s${id}`,
    login: spec.login,
    logout: spec.stop?.at ?? null,
    lastUpdate: last.at,
    sessionTime: BigInt(Math.round((last.at.getTime() - spec.login.getTime()) / 1000)),
    inputOctets: last.input,
    outputOctets: last.output,
    inputPackets: 0n,
    outputPackets: 0n,
    framedIp: spec.framedIp ?? null,
    callingStationId: null,
    calledStationId: null,
    terminateCause: null,
    closeReason: spec.stop ? (spec.stop.reason ?? 'stop') : null,
    logoutEstimated: spec.stop !== undefined && (spec.stop.reason ?? 'stop') !== 'stop',
    flags: spec.flags ?? [],
    interimCount: spec.updates?.length ?? 0,
    exclusivePort: false,
    ...spec.fields,
  };
  const usage: UsageDelta[] = [];
  for (let i = 1; i < points.length; i++) {
    const [p, q] = [points[i - 1]!, points[i]!];
    usage.push({
      accountId: spec.accountId,
      sessionId: session.id!,
      t0: p.at,
      t1: q.at,
      seconds: (q.at.getTime() - p.at.getTime()) / 1000,
      inputOctets: q.input - p.input,
      outputOctets: q.output - p.output,
    });
  }
  await c.ensurePartitions(spec.login, last.at);
  await c.begin();
  await c.write({ openLeaving: [], closedLeaving: [], updated: [], inserted: [session], journal: [], usage });
  await c.commit();
  return session.id!;
}
