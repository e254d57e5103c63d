// Accepted packet attributes → the event the session rules apply (accounting.md §1 last row, §2, §3).
import { ACCT_STATUS, type AccountingAttributes } from '../protocol/attributes.ts';
import type { AccountingEvent } from './event.ts';
import type { SessionFlag } from './session.ts';

/** §3: a delay above 7 days is implausible. */
export const MAX_PLAUSIBLE_DELAY_SECONDS = 7 * 24 * 3600;

export type ToEventResult = { ok: true; event: AccountingEvent } | { ok: false; message: string };

/** Event time: Event-Timestamp if present (never minus Acct-Delay-Time), else arrival − Acct-Delay-Time. */
export function eventTime(attrs: AccountingAttributes, arrival: Date): { time: Date; flags: SessionFlag[] } {
  if (attrs.eventTimestamp !== undefined) return { time: new Date(attrs.eventTimestamp * 1000), flags: [] };
  const delay = attrs.acctDelayTime ?? 0;
  if (delay > MAX_PLAUSIBLE_DELAY_SECONDS) return { time: arrival, flags: ['implausible_delay'] };
  return { time: new Date(arrival.getTime() - delay * 1000), flags: [] };
}

/** Clock skew of the NAS: when it says the event happened, plus how long it has been resending, minus arrival. */
export function clockSkewSeconds(attrs: AccountingAttributes, arrival: Date): number | null {
  if (attrs.eventTimestamp === undefined) return null;
  return Math.round(attrs.eventTimestamp + (attrs.acctDelayTime ?? 0) - arrival.getTime() / 1000);
}

const SESSION_KINDS: Record<number, 'start' | 'interim' | 'stop'> = {
  [ACCT_STATUS.START]: 'start',
  [ACCT_STATUS.INTERIM_UPDATE]: 'interim',
  [ACCT_STATUS.STOP]: 'stop',
};

export function toAccountingEvent(attrs: AccountingAttributes, arrival: Date): ToEventResult {
  if (attrs.acctStatusType === undefined) return { ok: false, message: 'no Acct-Status-Type' };
  const { time, flags } = eventTime(attrs, arrival);
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
      counters: {
        sessionTime: attrs.acctSessionTime === undefined ? undefined : BigInt(attrs.acctSessionTime),
        inputOctets: attrs.inputOctets,
        outputOctets: attrs.outputOctets,
        inputPackets: attrs.inputPackets,
        outputPackets: attrs.outputPackets,
      },
      framedIp: attrs.framedIpAddress,
      callingStationId: attrs.callingStationId,
      calledStationId: attrs.calledStationId,
      terminateCause: attrs.acctTerminateCause,
      flags,
    },
  };
}
