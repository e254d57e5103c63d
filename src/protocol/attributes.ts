import { ATTRIBUTE } from './attribute-ids.ts';
import { MIN_PACKET_LENGTH, type RadiusPacket } from './decode.ts';
import { acctTerminateCauseName } from './value-names.ts';
import { counter64, ipv4At, textValue, uint32At } from './values.ts';

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
  inputGigawords?: number; // the packet's Acct-Input-Gigawords, given with Acct-Input-Octets (32-bit NASes omit it)
  outputGigawords?: number;
  inputPackets?: bigint;
  outputPackets?: bigint;
  acctTerminateCause?: string; // RFC name, or the number as a string when unknown
}

// The typed view of the attributes the accounting rules use, read in one pass over the packet's bytes (this
// runs for every datagram, so it allocates nothing but the values). RFC 2866 §5 allows each of these at most
// once; if a NAS repeats one anyway, the first occurrence wins. Values of the wrong size read as absent.
export function readAccountingAttributes(packet: RadiusPacket): AccountingAttributes {
  const view: AccountingAttributes = {};
  const bytes = packet.bytes;
  const seen = new Uint8Array(256);
  let inputLow: number | undefined;
  let inputHigh: number | undefined;
  let outputLow: number | undefined;
  let outputHigh: number | undefined;
  for (let at = MIN_PACKET_LENGTH; at + 2 <= bytes.length; at += bytes[at + 1]!) {
    const type = bytes[at]!;
    if (seen[type]) continue;
    seen[type] = 1;
    const start = at + 2;
    const end = at + bytes[at + 1]!;
    switch (type) {
      case ATTRIBUTE.ACCT_STATUS_TYPE: view.acctStatusType = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_SESSION_ID: view.acctSessionId = textValue(bytes.subarray(start, end)); break;
      case ATTRIBUTE.USER_NAME: view.userName = textValue(bytes.subarray(start, end)); break;
      case ATTRIBUTE.NAS_IP_ADDRESS: view.nasIpAddress = ipv4At(bytes, start, end); break;
      case ATTRIBUTE.NAS_IDENTIFIER: view.nasIdentifier = textValue(bytes.subarray(start, end)); break;
      case ATTRIBUTE.NAS_PORT: view.nasPort = uint32At(bytes, start, end); break;
      case ATTRIBUTE.NAS_PORT_ID: view.nasPortId = textValue(bytes.subarray(start, end)); break;
      case ATTRIBUTE.FRAMED_IP_ADDRESS: view.framedIpAddress = ipv4At(bytes, start, end); break;
      case ATTRIBUTE.CALLING_STATION_ID: view.callingStationId = textValue(bytes.subarray(start, end)); break;
      case ATTRIBUTE.CALLED_STATION_ID: view.calledStationId = textValue(bytes.subarray(start, end)); break;
      case ATTRIBUTE.ACCT_DELAY_TIME: view.acctDelayTime = uint32At(bytes, start, end); break;
      case ATTRIBUTE.EVENT_TIMESTAMP: view.eventTimestamp = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_SESSION_TIME: view.acctSessionTime = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_INPUT_OCTETS: inputLow = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_INPUT_GIGAWORDS: inputHigh = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_OUTPUT_OCTETS: outputLow = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_OUTPUT_GIGAWORDS: outputHigh = uint32At(bytes, start, end); break;
      case ATTRIBUTE.ACCT_INPUT_PACKETS: view.inputPackets = bigUint32(uint32At(bytes, start, end)); break;
      case ATTRIBUTE.ACCT_OUTPUT_PACKETS: view.outputPackets = bigUint32(uint32At(bytes, start, end)); break;
      case ATTRIBUTE.ACCT_TERMINATE_CAUSE: {
        const cause = uint32At(bytes, start, end);
        if (cause !== undefined) view.acctTerminateCause = acctTerminateCauseName(cause);
        break;
      }
    }
  }
  view.inputOctets = counter64(inputLow, inputHigh);
  view.outputOctets = counter64(outputLow, outputHigh);
  if (inputLow !== undefined) view.inputGigawords = inputHigh;
  if (outputLow !== undefined) view.outputGigawords = outputHigh;
  return withoutUndefined(view);
}

function bigUint32(n: number | undefined): bigint | undefined {
  return n === undefined ? undefined : BigInt(n);
}

// Absent and wrong-sized values are left out entirely, so `'field' in view` means "the packet said so".
function withoutUndefined(view: AccountingAttributes): AccountingAttributes {
  for (const key of Object.keys(view) as (keyof AccountingAttributes)[]) {
    if (view[key] === undefined) delete view[key];
  }
  return view;
}
