// The rule table (test/helpers/rule-cases.ts) replayed in memory: the pure rules of session-machine.ts, applied per
// batch by batch-state.ts as commit-batch.ts applies them, with a store that loads what the database would
// (open sessions, and closed ones within the packets' clock window: docs/accounting.md "Plausibility").
// test/db/rule-cases.test.ts replays the same table through the real batch transaction.
import { expect } from 'chai';
import type { NasRestartEvent, SessionEvent } from '../../../src/accounting/event.ts';
import { touchableLogouts } from '../../../src/accounting/plausibility.ts';
import { effectiveRestartTime } from '../../../src/accounting/session-machine.ts';
import type { SessionState } from '../../../src/accounting/session.ts';
import { BatchState, type ItemAction } from '../../../src/ingest/batch-state.ts';
import type { IngestItem } from '../../../src/ingest/item.ts';
import { sinceT0 } from '../../helpers/fixtures.ts';
import { batchesOf, caseNas, expectedOutcome, RULE_CASES, sessionRow, toItem, type CaseOutcome, type RuleCase, type SessionRow } from '../../helpers/rule-cases.ts';

/** One NAS's sessions in memory, written batch by batch like the database. */
class MemoryStore {
  readonly sessions: SessionState[] = [];
  readonly usage = new Map<SessionState, SessionRow['usage']>();
  readonly accounts = new Map<string, bigint>();
  readonly ports = new Map<string, bigint>();
  lastRestart: Date | null = null;
  private nextId = 1n;

  private idOf(map: Map<string, bigint>, key: string): bigint {
    if (!map.has(key)) map.set(key, BigInt(map.size + 1));
    return map.get(key)!;
  }

  /** What the batch reads under its locks (radtrack_lock_and_load): open sessions, closed ones in the window. */
  private load(items: IngestItem[]): SessionState[] {
    const windows = items.map((i) => touchableLogouts(i.event.arrival, i.nas.clockLimit));
    const since = Math.min(...windows.map((w) => w.since));
    const until = Math.max(...windows.map((w) => w.until));
    const open = new Set(this.sessions.filter((s) => s.logout === null).map((s) => s.acctSessionId));
    return this.sessions.filter(
      (s) => s.logout === null || (!open.has(s.acctSessionId) && s.logout.getTime() >= since && s.logout.getTime() < until),
    );
  }

  private keep(state: BatchState): void {
    for (const s of state.dirty) {
      if (s.id === null) {
        s.id = this.nextId++;
        this.sessions.push(s);
      }
    }
    for (const u of state.usage) {
      const sum = this.usage.get(u.session) ?? { seconds: 0, input: 0n, output: 0n };
      this.usage.set(u.session, { seconds: sum.seconds + u.seconds, input: sum.input + u.inputOctets, output: sum.output + u.outputOctets });
    }
  }

  apply(items: IngestItem[]): ItemAction[] {
    const first = items[0]!;
    if (first.event.kind === 'accounting-on' || first.event.kind === 'accounting-off') {
      const ev = first.event as NasRestartEvent;
      const at = effectiveRestartTime(ev, this.lastRestart);
      const page = this.sessions.filter((s) => s.logout === null && s.login.getTime() <= at.getTime());
      const state = new BatchState(page);
      state.applyRestart(page, ev, at);
      this.keep(state);
      if (this.lastRestart === null || at > this.lastRestart) this.lastRestart = at;
      return ['nas_restart'];
    }
    const state = new BatchState(this.load(items.filter((i) => 'acctSessionId' in i.event)));
    const actions = items.map((item): ItemAction => {
      if (!('acctSessionId' in item.event)) return 'journal_only';
      const ev = item.event as SessionEvent;
      const portId = ev.portKey === null ? null : this.idOf(this.ports, ev.portKey);
      return state.applySession(ev, item.nas, this.idOf(this.accounts, ev.username), portId).action;
    });
    this.keep(state);
    return actions;
  }

  outcome(actions: ItemAction[]): CaseOutcome {
    const name = (map: Map<string, bigint>, id: bigint) => [...map].find(([, v]) => v === id)![0];
    const sessions = [...this.sessions]
      .sort((a, b) => a.login.getTime() - b.login.getTime() || Number(a.id! - b.id!))
      .map((s) =>
        sessionRow(s, name(this.accounts, s.accountId), s.portId === null ? null : name(this.ports, s.portId), this.usage.get(s) ?? { seconds: 0, input: 0n, output: 0n }),
      );
    return { actions, sessions, lastRestart: this.lastRestart === null ? null : sinceT0(this.lastRestart) };
  }
}

function replay(c: RuleCase, batched: boolean): CaseOutcome {
  const store = new MemoryStore();
  const items = c.packets.map((p) => toItem(p, caseNas(c, 1n)));
  const actions = (batched ? batchesOf(items) : items.map((i) => [i])).flatMap((batch) => store.apply(batch));
  return store.outcome(actions);
}

describe('rule table in memory (test/helpers/rule-cases.ts)', () => {
  for (const c of RULE_CASES) {
    describe(`${c.rule}: ${c.name}`, () => {
      it('one packet per batch', () => expect(replay(c, false)).to.deep.equal(expectedOutcome(c)));
      it('consecutive packets in one batch', () => expect(replay(c, true)).to.deep.equal(expectedOutcome(c)));
    });
  }
});
