import type { Counters, SessionFlag } from './session.ts';

/** What one accepted Accounting-Request asks of the session store (docs/accounting.md §4). */
export interface SessionEvent {
  kind: 'start' | 'interim' | 'stop';
  /** Event time E (§3). */
  time: Date;
  arrival: Date;
  acctSessionId: string;
  username: string;
  /** NAS-Port-Id, else NAS-Port; null when the NAS sends neither. */
  portKey: string | null;
  /** Counters present in the packet; an absent attribute changes nothing. */
  counters: Partial<Counters>;
  /** Octet counters the packet sent as 32 bits without Acct-*-Gigawords: they may wrap at 2^32. */
  without32BitGigawords?: ('inputOctets' | 'outputOctets')[];
  framedIp?: string;
  callingStationId?: string;
  calledStationId?: string;
  terminateCause?: string;
  /** Flags the packet itself earns (implausible_delay). */
  flags: SessionFlag[];
}

export interface NasRestartEvent {
  kind: 'accounting-on' | 'accounting-off';
  time: Date;
  arrival: Date;
  terminateCause?: string;
  flags: SessionFlag[];
}

/** Acknowledged and journaled, changes no session: Failed (15), tunnel types, Status-Server. */
export interface JournalOnlyEvent {
  kind: 'journal-only';
  time: Date;
  arrival: Date;
  flags: SessionFlag[];
}

export type AccountingEvent = SessionEvent | NasRestartEvent | JournalOnlyEvent;
