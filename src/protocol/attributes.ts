import { ATTRIBUTE } from './attribute-ids.ts';
import type { RadiusPacket } from './decode.ts';
import { acctTerminateCauseName } from './value-names.ts';
import { counter64, ipv4Value, textValue, uint32Value } from './values.ts';

export { acctStatusTypeName } from './value-names.ts';
export { journalAttributes } from './journal.ts';

// Acct-Status-Type values that change sessions (RFC 2866 §5.1).
export const ACCT_STATUS = { START: 1, STOP: 2, INTERIM_UPDATE: 3, ACCOUNTING_ON: 7, ACCOUNTING_OFF: 8 } as const;

// Strings follow textValue(): UTF-8 text, or 'hex:' + hex when the bytes are not clean UTF-8.
export interface AccountingAttributes {
  acctStatusType?: number;
  acctSessionId?: string;
  userName?: string;
  nasIpAddress?: string;
  nasIdentifier?: string;
  nasPort?: number;
  nasPortId?: string;
  framedIpAddress?: string;
  callingStationId?: string;
  calledStationId?: string;
  acctDelayTime?: number; // seconds
  eventTimestamp?: number; // seconds since the epoch (RFC 2869 §5.3)
  acctSessionTime?: number; // seconds
  inputOctets?: bigint; // Acct-Input-Gigawords × 2^32 + Acct-Input-Octets; undefined when Acct-Input-Octets is absent
  outputOctets?: bigint;
  inputPackets?: bigint;
  outputPackets?: bigint;
  acctTerminateCause?: string; // RFC name, or the number as a string when unknown
}

// The typed view of the attributes the accounting rules use. RFC 2866 §5 allows each of these at most
// once; if a NAS repeats one anyway, the first occurrence wins. Values of the wrong size read as absent.
export function readAccountingAttributes(packet: RadiusPacket): AccountingAttributes {
  const first = new Map<number, Buffer>();
  for (const { type, value } of packet.attributes) {
    if (!first.has(type)) first.set(type, value);
  }
  const read = <T>(type: number, decode: (value: Buffer) => T | undefined): T | undefined => {
    const value = first.get(type);
    return value === undefined ? undefined : decode(value);
  };
  const packets = (type: number): bigint | undefined => {
    const value = read(type, uint32Value);
    return value === undefined ? undefined : BigInt(value);
  };
  const terminateCause = read(ATTRIBUTE.ACCT_TERMINATE_CAUSE, uint32Value);

  const view: AccountingAttributes = {
    acctStatusType: read(ATTRIBUTE.ACCT_STATUS_TYPE, uint32Value),
    acctSessionId: read(ATTRIBUTE.ACCT_SESSION_ID, textValue),
    userName: read(ATTRIBUTE.USER_NAME, textValue),
    nasIpAddress: read(ATTRIBUTE.NAS_IP_ADDRESS, ipv4Value),
    nasIdentifier: read(ATTRIBUTE.NAS_IDENTIFIER, textValue),
    nasPort: read(ATTRIBUTE.NAS_PORT, uint32Value),
    nasPortId: read(ATTRIBUTE.NAS_PORT_ID, textValue),
    framedIpAddress: read(ATTRIBUTE.FRAMED_IP_ADDRESS, ipv4Value),
    callingStationId: read(ATTRIBUTE.CALLING_STATION_ID, textValue),
    calledStationId: read(ATTRIBUTE.CALLED_STATION_ID, textValue),
    acctDelayTime: read(ATTRIBUTE.ACCT_DELAY_TIME, uint32Value),
    eventTimestamp: read(ATTRIBUTE.EVENT_TIMESTAMP, uint32Value),
    acctSessionTime: read(ATTRIBUTE.ACCT_SESSION_TIME, uint32Value),
    inputOctets: counter64(read(ATTRIBUTE.ACCT_INPUT_OCTETS, uint32Value), read(ATTRIBUTE.ACCT_INPUT_GIGAWORDS, uint32Value)),
    outputOctets: counter64(
      read(ATTRIBUTE.ACCT_OUTPUT_OCTETS, uint32Value),
      read(ATTRIBUTE.ACCT_OUTPUT_GIGAWORDS, uint32Value),
    ),
    inputPackets: packets(ATTRIBUTE.ACCT_INPUT_PACKETS),
    outputPackets: packets(ATTRIBUTE.ACCT_OUTPUT_PACKETS),
    acctTerminateCause: terminateCause === undefined ? undefined : acctTerminateCauseName(terminateCause),
  };
  return withoutUndefined(view);
}

function withoutUndefined<T extends object>(view: T): T {
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined)) as T;
}
