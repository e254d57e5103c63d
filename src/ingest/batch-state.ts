// One batch in memory: the sessions its packets can touch (loaded under the batch's ingest locks), the
// accounting rules applied to them in arrival order, and a record of what changed, for the write.
// Pure: no I/O, so every rule can be replayed here in unit tests and through SQL alike.
import type { NasRestartEvent, SessionEvent } from '../accounting/event.ts';
import type { PortPolicy } from '../accounting/port-policy.ts';
import type { SessionState } from '../accounting/session.ts';
import { applySessionEvent, closeForNasRestart, resolvePortConflict, type SessionAction } from '../accounting/session-machine.ts';
import { usageSegments, usageSnapshot, type UsageSegment } from '../accounting/usage-delta.ts';

export type ItemAction = SessionAction | 'nas_restart' | 'journal_only' | 'heartbeat';

export interface ItemOutcome {
  action: ItemAction;
  session: SessionState | null;
}

export interface SessionUsage extends UsageSegment {
  session: SessionState;
}

const identityKey = (nasId: bigint, acctSessionId: string, portId: bigint | null, accountId: bigint) =>
  `${nasId}|${portId ?? ''}|${accountId}|${acctSessionId}`;

export class BatchState {
  /** The latest session of each identity. */
  private readonly latest = new Map<string, SessionState>();
  private readonly openByPort = new Map<bigint, Set<SessionState>>();
  /** Where each loaded session is stored now: its logout when it was read (null: sessions_open). */
  readonly storedLogout = new Map<SessionState, Date | null>();
  readonly dirty = new Set<SessionState>();
  readonly usage: SessionUsage[] = [];

  constructor(loaded: SessionState[]) {
    const seen = new Set<bigint>();
    for (const s of loaded) {
      if (seen.has(s.id!)) continue; // read twice: as its identity's latest and as open on a port
      seen.add(s.id!);
      this.storedLogout.set(s, s.logout);
      this.track(s);
      const key = identityKey(s.nasId, s.acctSessionId, s.portId, s.accountId);
      const prev = this.latest.get(key);
      if (!prev || s.login.getTime() > prev.login.getTime() || (s.login.getTime() === prev.login.getTime() && s.id! > prev.id!)) {
        this.latest.set(key, s);
      }
    }
  }

  private track(s: SessionState): void {
    if (s.portId === null) return;
    let set = this.openByPort.get(s.portId);
    if (!set) this.openByPort.set(s.portId, (set = new Set()));
    if (s.logout === null) set.add(s);
    else set.delete(s);
  }

  /** Runs `change` on the sessions and records what it did to their usage. */
  private change(sessions: SessionState[], change: () => SessionState[]): SessionState[] {
    const before = new Map(sessions.map((s) => [s, usageSnapshot(s)]));
    const changed = change();
    for (const s of changed) {
      for (const seg of usageSegments(before.get(s) ?? null, s)) this.usage.push({ session: s, ...seg });
      this.dirty.add(s);
      this.track(s);
    }
    return changed;
  }

  /** A Start, Interim-Update or Stop, placed on its (already resolved) account and port. */
  applySession(
    ev: SessionEvent,
    nas: { id: bigint; portPolicy: PortPolicy },
    accountId: bigint,
    portId: bigint | null,
  ): ItemOutcome {
    const key = identityKey(nas.id, ev.acctSessionId, portId, accountId);
    const current = this.latest.get(key) ?? null;
    let transition!: ReturnType<typeof applySessionEvent>;
    this.change(current ? [current] : [], () => {
      transition = applySessionEvent(current, ev, {
        nasId: nas.id,
        portId,
        accountId,
        exclusivePort: nas.portPolicy === 'autoclose' && portId !== null,
      });
      return transition.action.startsWith('duplicate') ? [] : [transition.session];
    });
    const session = transition.session;
    if (transition.created) {
      this.latest.set(key, session);
      if (session.logout === null && portId !== null) {
        const rivals = [...(this.openByPort.get(portId) ?? [])].filter((o) => o !== session);
        this.change([session, ...rivals], () => resolvePortConflict(session, rivals, nas.portPolicy));
      }
    }
    return { action: transition.action, session };
  }

  /** Accounting-On/Off: closes these open sessions of the NAS that began at or before `at` (§4). */
  applyRestart(sessions: SessionState[], ev: NasRestartEvent, at: Date): void {
    this.change(sessions, () => sessions.filter((s) => closeForNasRestart(s, ev, at)));
  }
}
