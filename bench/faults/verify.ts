// The fault suite's ground-truth check: every session the NAS client sent is in the database once, exactly as
// sent (login, logout, seconds, octets), nothing else is, and `report usage` gives the client's totals per account.
import type { Knex } from 'knex';
import { rangePeriod } from '../../src/reports/period.ts';
import { usageByAccount } from '../../src/reports/usage.ts';
import type { SessionTruth } from './nas-client.ts';

export interface Verdict {
  ok: boolean;
  sessions: number;
  rows: number;
  missing: number;
  doubled: number;
  wrong: number;
  extra: number;
  usageAccounts: number;
  usageWrong: number;
  seconds: number;
  octets: bigint;
  problems: string[];
}

interface Row { id: string; sid: string; username: string; login: string; logout: string | null; session_time: string; input_octets: bigint; output_octets: bigint }

export async function verifyTruth(knex: Knex, truth: SessionTruth[], from: Date, to: Date): Promise<Verdict> {
  // Pages of 500: large results through the embedded host are to be avoided (bench/README.md).
  const rows: Row[] = [];
  for (let last = '0'; ;) {
    const { rows: page } = await knex.raw<{ rows: Row[] }>(
      `SELECT s.id::text AS id, s.acct_session_id AS sid, a.username, extract(epoch FROM s.login)::bigint::text AS login,
              extract(epoch FROM s.logout)::bigint::text AS logout, s.session_time::text AS session_time, s.input_octets, s.output_octets
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id > ?::bigint ORDER BY s.id LIMIT 500`,
      [last],
    );
    if (page.length === 0) break;
    rows.push(...page);
    last = page[page.length - 1]!.id;
  }
  const bySid = new Map<string, Row[]>();
  for (const r of rows) bySid.set(r.sid, [...(bySid.get(r.sid) ?? []), r]);
  const v: Verdict = { ok: false, sessions: truth.length, rows: rows.length, missing: 0, doubled: 0, wrong: 0, extra: 0, usageAccounts: 0, usageWrong: 0, seconds: 0, octets: 0n, problems: [] };
  const known = new Set<string>();
  const perUser = new Map<string, { sessions: number; seconds: number; input: bigint; output: bigint }>();
  for (const s of truth) {
    known.add(s.sid);
    const u = perUser.get(s.user) ?? { sessions: 0, seconds: 0, input: 0n, output: 0n };
    u.sessions += 1; u.seconds += s.duration; u.input += s.input; u.output += s.output;
    perUser.set(s.user, u);
    v.seconds += s.duration;
    v.octets += s.input + s.output;
    const got = bySid.get(s.sid) ?? [];
    if (got.length === 0) { v.missing++; note(v, `${s.sid}: missing`); continue; }
    if (got.length > 1) { v.doubled++; note(v, `${s.sid}: ${got.length} rows`); continue; }
    const r = got[0]!;
    const want = { username: s.user, login: String(s.start), logout: String(s.start + s.duration), session_time: String(s.duration), input_octets: String(s.input), output_octets: String(s.output) };
    const bad = Object.entries(want).filter(([k, val]) => String(r[k as keyof Row]) !== val);
    if (bad.length > 0) { v.wrong++; note(v, `${s.sid}: ${bad.map(([k, val]) => `${k}=${String(r[k as keyof Row])} want ${val}`).join(', ')}`); }
  }
  for (const r of rows) if (!known.has(r.sid)) { v.extra++; note(v, `unexpected session ${r.sid}`); }

  const usage = await usageByAccount(knex, { period: rangePeriod(from, to), now: to });
  v.usageAccounts = usage.length;
  const seen = new Set<string>();
  for (const u of usage) {
    seen.add(u.username);
    const want = perUser.get(u.username);
    if (!want) { v.usageWrong++; note(v, `usage: unexpected account ${u.username}`); continue; }
    if (u.sessions !== want.sessions || u.seconds !== want.seconds || u.input_octets !== want.input || u.output_octets !== want.output) {
      v.usageWrong++;
      note(v, `usage ${u.username}: ${u.sessions} sessions ${u.seconds} s ${u.input_octets}/${u.output_octets} octets, want ${want.sessions} ${want.seconds} s ${want.input}/${want.output}`);
    }
  }
  for (const user of perUser.keys()) if (!seen.has(user)) { v.usageWrong++; note(v, `usage: ${user} missing`); }
  v.ok = v.missing === 0 && v.doubled === 0 && v.wrong === 0 && v.extra === 0 && v.usageWrong === 0 && v.rows === truth.length;
  return v;
}

function note(v: Verdict, problem: string): void {
  if (v.problems.length < 8) v.problems.push(problem);
}
