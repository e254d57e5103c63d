// Fixtures for the report, reconcile and purge tests: NASes, accounts and sessions inserted directly, and
// usage written through writeUsage exactly as the listener does (one delta per change of a session).
import { expect } from 'chai';
import type { Knex } from 'knex';
import { writeUsage, type UsageDelta } from '../../src/db/sql/write-usage.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';

export const at = (iso: string): Date => new Date(iso);

export async function insertNas(
  knex: Knex,
  address: string,
  opts: { name?: string; interimInterval?: number; lastSeen?: Date | null; createdAt?: Date } = {},
): Promise<bigint> {
  const [row] = await knex('nas')
    .insert({
      address,
      name: opts.name ?? null,
      secret: 's3cret',
      interim_interval: opts.interimInterval ?? 300,
      last_seen: opts.lastSeen ?? null,
      created_at: opts.createdAt ?? at('2026-01-01T00:00:00Z'),
    })
    .returning('id');
  return row.id as bigint;
}

export async function insertAccount(
  knex: Knex,
  username: string,
  quota: { timeQuotaSeconds?: bigint; dataQuotaBytes?: bigint } = {},
): Promise<bigint> {
  const [row] = await knex('accounts')
    .insert({ username, time_quota_seconds: quota.timeQuotaSeconds ?? null, data_quota_bytes: quota.dataQuotaBytes ?? null })
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
  stop?: Update & { reason?: 'stop' | 'nas_restart' | 'superseded' | 'stale' };
  framedIp?: string;
  flags?: string[];
}

/**
 * Inserts a session and writes its usage the way the listener does: one delta per update, covering the time
 * since the previous one and carrying the counter increase. Returns the session id.
 */
export async function recordSession(knex: Knex, spec: SessionSpec): Promise<bigint> {
  const points: Update[] = [{ at: spec.login, input: 0n, output: 0n }, ...(spec.updates ?? [])];
  if (spec.stop) points.push(spec.stop);
  const last = points[points.length - 1];
  let portId: bigint | null = null;
  if (spec.port) {
    const [port] = await knex('ports')
      .insert({ nas_id: spec.nasId, port_key: spec.port })
      .onConflict(['nas_id', 'port_key'])
      .merge()
      .returning('id');
    portId = port.id as bigint;
  }
  const [row] = await knex('sessions')
    .insert({
      nas_id: spec.nasId,
      port_id: portId,
      account_id: spec.accountId,
      acct_session_id: spec.acctSessionId ?? `s${Math.random().toString(16).slice(2)}`,
      login: spec.login,
      logout: spec.stop?.at ?? null,
      last_update: last.at,
      close_reason: spec.stop ? (spec.stop.reason ?? 'stop') : null,
      session_time: Math.round((last.at.getTime() - spec.login.getTime()) / 1000),
      input_octets: last.input,
      output_octets: last.output,
      framed_ip: spec.framedIp ?? null,
      flags: spec.flags ?? [],
      interim_count: spec.updates?.length ?? 0,
    })
    .returning('id');
  const sessionId = row.id as bigint;
  const deltas: UsageDelta[] = [];
  for (let i = 1; i < points.length; i++) {
    const [p, q] = [points[i - 1], points[i]];
    deltas.push({
      accountId: spec.accountId,
      sessionId,
      t0: p.at,
      t1: q.at,
      seconds: (q.at.getTime() - p.at.getTime()) / 1000,
      inputOctets: q.input - p.input,
      outputOctets: q.output - p.output,
    });
  }
  await writeUsage(knex, deltas);
  return sessionId;
}

describe('test fixtures', () => {
  beforeEach(() => truncateAll());

  it('recordSession stores the session and one usage delta per update', async () => {
    const knex = testKnex();
    const nas = await insertNas(knex, '192.0.2.1');
    const acct = await insertAccount(knex, 'alice');
    const id = await recordSession(knex, {
      nasId: nas,
      accountId: acct,
      login: at('2026-10-01T10:00:00Z'),
      updates: [{ at: at('2026-10-01T10:05:00Z'), input: 10n, output: 20n }],
    });
    const deltas = await knex('usage_deltas').where({ session_id: id }).orderBy('t0');
    expect(deltas).to.have.length(1);
    expect(deltas[0].input_octets).to.equal(10n);
    const [session] = await knex('sessions').where({ id });
    expect(session.logout).to.equal(null);
    expect(session.last_update.toISOString()).to.equal('2026-10-01T10:05:00.000Z');
  });
});
