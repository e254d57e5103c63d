// Accepted packet attributes → the event the session rules apply (docs/accounting.md §1 last row, §2, §3), with
// every value a packet claims checked against plausibility.ts first.
import { ACCT_STATUS, type AccountingAttributes } from '../protocol/attributes.ts';
import type { AccountingEvent } from './event.ts';
import {
  MAX_CLOCK_OFFSET_SECONDS,
  plausibleDelay,
  plausibleEventTimestamp,
  plausibleOctets,
  plausibleSessionTime,
  type ClockLimit,
} from './plausibility.ts';
import type { Counters, SessionFlag } from './session.ts';

export type ToEventResult = { ok: true; event: AccountingEvent } | { ok: false; message: string };

/**
 * Event time: Event-Timestamp if present (never minus Acct-Delay-Time), else arrival − Acct-Delay-Time.
 * Either one more than 7 days away from arrival is not believed: the arrival time is used and flagged.
 */
export function eventTime(attrs: AccountingAttributes, arrival: Date, limit: ClockLimit = MAX_CLOCK_OFFSET_SECONDS): { time: Date; flags: SessionFlag[] } {
  if (attrs.eventTimestamp !== undefined) {
    if (plausibleEventTimestamp(attrs.eventTimestamp, arrival, limit)) return { time: new Date(attrs.eventTimestamp * 1000), flags: [] };
    return { time: arrival, flags: ['implausible_event_timestamp'] };
  }
  const delay = attrs.acctDelayTime ?? 0;
  if (!plausibleDelay(delay, limit)) return { time: arrival, flags: ['implausible_delay'] };
  return { time: new Date(arrival.getTime() - delay * 1000), flags: [] };
}

/** Clock skew of the NAS: when it says the event happened, plus how long it has been resending, minus arrival. */
export function clockSkewSeconds(attrs: AccountingAttributes, arrival: Date): number | null {
  if (attrs.eventTimestamp === undefined) return null;
  return Math.round(attrs.eventTimestamp + (attrs.acctDelayTime ?? 0) - arrival.getTime() / 1000);
}

/** The counters a packet carries, leaving out (and flagging) the implausible ones: absent changes nothing. */
function plausibleCounters(attrs: AccountingAttributes, flags: SessionFlag[]): Partial<Counters> {
  const counters: Partial<Counters> = {};
  if (attrs.acctSessionTime !== undefined) {
    if (plausibleSessionTime(attrs.acctSessionTime)) counters.sessionTime = BigInt(attrs.acctSessionTime);
    else flags.push('implausible_session_time');
  }
  for (const [name, value] of [['inputOctets', attrs.inputOctets], ['outputOctets', attrs.outputOctets]] as const) {
    if (value === undefined) continue;
    if (plausibleOctets(value)) counters[name] = value;
    else if (!flags.includes('implausible_counter')) flags.push('implausible_counter');
  }
  if (attrs.inputPackets !== undefined) counters.inputPackets = attrs.inputPackets;
  if (attrs.outputPackets !== undefined) counters.outputPackets = attrs.outputPackets;
  return counters;
}

function without32BitGigawords(attrs: AccountingAttributes): ('inputOctets' | 'outputOctets')[] | undefined {
  const names: ('inputOctets' | 'outputOctets')[] = [];
  if (attrs.inputOctets !== undefined && attrs.inputGigawords === undefined) names.push('inputOctets');
  if (attrs.outputOctets !== undefined && attrs.outputGigawords === undefined) names.push('outputOctets');
  return names.length > 0 ? names : undefined;
}

const SESSION_KINDS: Record<number, 'start' | 'interim' | 'stop'> = {
  [ACCT_STATUS.START]: 'start',
  [ACCT_STATUS.INTERIM_UPDATE]: 'interim',
  [ACCT_STATUS.STOP]: 'stop',
};

export function toAccountingEvent(attrs: AccountingAttributes, arrival: Date, limit: ClockLimit = MAX_CLOCK_OFFSET_SECONDS): ToEventResult {
  if (attrs.acctStatusType === undefined) return { ok: false, message: 'no Acct-Status-Type' };
  const { time, flags } = eventTime(attrs, arrival, limit);
  const status = attrs.acctStatusType;
  if (status === ACCT_STATUS.ACCOUNTING_ON || status === ACCT_STATUS.ACCOUNTING_OFF) {
    return {
      ok: true,
      event: {
        kind: status === ACCT_STATUS.ACCOUNTING_ON ? 'accounting-on' : 'accounting-off',
        time,
        arrival,
        terminateCause: attrs.acctTerminateCause,
        flags,
      },
    };
  }
  const kind = SESSION_KINDS[status];
  if (!kind) return { ok: true, event: { kind: 'journal-only', time, arrival, flags } };
  if (attrs.acctSessionId === undefined) return { ok: false, message: 'no Acct-Session-Id' };
  const portKey = attrs.nasPortId ?? (attrs.nasPort === undefined ? null : String(attrs.nasPort));
  return {
    ok: true,
    event: {
      kind,
      time,
      arrival,
      acctSessionId: attrs.acctSessionId,
      // FreeRADIUS stores an absent User-Name as the empty string; so do we, rather than drop the data (§7).
      username: attrs.userName ?? '',
      portKey,
      counters: plausibleCounters(attrs, flags),
      without32BitGigawords: without32BitGigawords(attrs),
      framedIp: attrs.framedIpAddress,
      callingStationId: attrs.callingStationId,
      calledStationId: attrs.calledStationId,
      terminateCause: attrs.acctTerminateCause,
      flags,
    },
  };
}
