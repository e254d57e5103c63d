// Builds signed datagrams as a NAS would send them, for unit and end-to-end tests. Uses radtrack's own
// encoder; test/unit/protocol/radius-lib.test.ts cross-checks it against the `radius` package.
import { randomBytes } from 'node:crypto';
import { ATTRIBUTE } from '../../src/protocol/attribute-ids.ts';
import { hmacMessageAuthenticator, md5Authenticator } from '../../src/protocol/authenticator.ts';
import {
  AUTHENTICATOR_LENGTH,
  AUTHENTICATOR_OFFSET,
  CODE,
  MIN_PACKET_LENGTH,
  parsePacket,
  type RadiusPacket,
  type RawAttribute,
} from '../../src/protocol/decode.ts';
import { encodePacket } from '../../src/protocol/encode.ts';
import { acctStatusTypeValue, acctTerminateCauseValue } from '../../src/protocol/value-names.ts';

export interface AcctRequestSpec {
  statusType: 'Start' | 'Stop' | 'Interim-Update' | 'Accounting-On' | 'Accounting-Off' | number;
  sessionId?: string;
  userName?: string;
  nasIp?: string;
  nasPort?: number;
  nasPortId?: string;
  framedIp?: string;
  callingStationId?: string;
  calledStationId?: string;
  delay?: number;
  eventTimestamp?: number; // seconds since the epoch
  sessionTime?: number;
  inputOctets?: bigint | number; // split into Acct-Input-Octets + Acct-Input-Gigawords
  outputOctets?: bigint | number;
  inputPackets?: number;
  outputPackets?: number;
  terminateCause?: string | number;
  proxyState?: Buffer[];
  messageAuthenticator?: boolean;
  extra?: RawAttribute[];
  identifier?: number; // default: an incrementing counter
}

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);
// Where a Message-Authenticator placed first sits: after the header and its own Type and Length octets.
const FIRST_ATTRIBUTE_VALUE_OFFSET = MIN_PACKET_LENGTH + 2;

let nextIdentifier = 0;
function takeIdentifier(identifier: number | undefined): number {
  if (identifier !== undefined) return identifier;
  nextIdentifier = (nextIdentifier + 1) % 256;
  return nextIdentifier;
}

function secretBuffer(secret: string | Buffer): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

function uint32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value >>> 0, 0);
  return buf;
}

function ipv4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function enumValue(value: string | number, lookup: (name: string) => number | undefined, what: string): number {
  if (typeof value === 'number') return value;
  const found = lookup(value);
  if (found === undefined) throw new Error(`packets: unknown ${what} '${value}'`);
  return found;
}

function counterAttributes(total: bigint | number | undefined, octets: number, gigawords: number): RawAttribute[] {
  if (total === undefined) return [];
  const value = BigInt(total);
  const high = Number(value >> 32n);
  const attributes = [{ type: octets, value: uint32(Number(value & 0xffffffffn)) }];
  return high > 0 ? [...attributes, { type: gigawords, value: uint32(high) }] : attributes;
}

function specAttributes(spec: AcctRequestSpec): RawAttribute[] {
  const optional: Array<[number, Buffer | undefined]> = [
    [ATTRIBUTE.ACCT_SESSION_ID, spec.sessionId === undefined ? undefined : Buffer.from(spec.sessionId)],
    [ATTRIBUTE.USER_NAME, spec.userName === undefined ? undefined : Buffer.from(spec.userName)],
    [ATTRIBUTE.NAS_IP_ADDRESS, spec.nasIp === undefined ? undefined : ipv4(spec.nasIp)],
    [ATTRIBUTE.NAS_PORT, spec.nasPort === undefined ? undefined : uint32(spec.nasPort)],
    [ATTRIBUTE.NAS_PORT_ID, spec.nasPortId === undefined ? undefined : Buffer.from(spec.nasPortId)],
    [ATTRIBUTE.FRAMED_IP_ADDRESS, spec.framedIp === undefined ? undefined : ipv4(spec.framedIp)],
    [ATTRIBUTE.CALLING_STATION_ID, spec.callingStationId === undefined ? undefined : Buffer.from(spec.callingStationId)],
    [ATTRIBUTE.CALLED_STATION_ID, spec.calledStationId === undefined ? undefined : Buffer.from(spec.calledStationId)],
    [ATTRIBUTE.ACCT_DELAY_TIME, spec.delay === undefined ? undefined : uint32(spec.delay)],
    [ATTRIBUTE.EVENT_TIMESTAMP, spec.eventTimestamp === undefined ? undefined : uint32(spec.eventTimestamp)],
    [ATTRIBUTE.ACCT_SESSION_TIME, spec.sessionTime === undefined ? undefined : uint32(spec.sessionTime)],
    [ATTRIBUTE.ACCT_INPUT_PACKETS, spec.inputPackets === undefined ? undefined : uint32(spec.inputPackets)],
    [ATTRIBUTE.ACCT_OUTPUT_PACKETS, spec.outputPackets === undefined ? undefined : uint32(spec.outputPackets)],
    [
      ATTRIBUTE.ACCT_TERMINATE_CAUSE,
      spec.terminateCause === undefined
        ? undefined
        : uint32(enumValue(spec.terminateCause, acctTerminateCauseValue, 'Acct-Terminate-Cause')),
    ],
  ];
  return [
    { type: ATTRIBUTE.ACCT_STATUS_TYPE, value: uint32(enumValue(spec.statusType, acctStatusTypeValue, 'Acct-Status-Type')) },
    ...optional.flatMap(([type, value]) => (value === undefined ? [] : [{ type, value }])),
    ...counterAttributes(spec.inputOctets, ATTRIBUTE.ACCT_INPUT_OCTETS, ATTRIBUTE.ACCT_INPUT_GIGAWORDS),
    ...counterAttributes(spec.outputOctets, ATTRIBUTE.ACCT_OUTPUT_OCTETS, ATTRIBUTE.ACCT_OUTPUT_GIGAWORDS),
    ...(spec.proxyState ?? []).map((value) => ({ type: ATTRIBUTE.PROXY_STATE, value })),
    ...(spec.extra ?? []),
  ];
}

function parsed(bytes: Buffer): RadiusPacket {
  const result = parsePacket(bytes);
  if (!result.ok) throw new Error(`packets: built an unparsable packet: ${result.message}`);
  return result.packet;
}

// A Message-Authenticator, when asked for, goes first (where FreeRADIUS ≥ 3.2.5 puts it) and is
// computed with a zero Authenticator field, then the Request Authenticator over the result (RFC 2866 §3).
export function accountingRequest(spec: AcctRequestSpec, secret: string | Buffer): Buffer {
  const key = secretBuffer(secret);
  const attributes = specAttributes(spec);
  if (spec.messageAuthenticator) {
    attributes.unshift({ type: ATTRIBUTE.MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) });
  }
  const bytes = encodePacket({
    code: CODE.ACCOUNTING_REQUEST,
    identifier: takeIdentifier(spec.identifier),
    authenticator: ZERO_AUTHENTICATOR,
    attributes,
  });
  if (spec.messageAuthenticator) {
    hmacMessageAuthenticator(parsed(bytes), ZERO_AUTHENTICATOR, key).copy(bytes, FIRST_ATTRIBUTE_VALUE_OFFSET);
  }
  md5Authenticator(bytes, ZERO_AUTHENTICATOR, key).copy(bytes, AUTHENTICATOR_OFFSET);
  return bytes;
}

// RFC 5997 §3: random Request Authenticator, Message-Authenticator over it.
export function statusServer(secret: string | Buffer, identifier?: number): Buffer {
  const bytes = encodePacket({
    code: CODE.STATUS_SERVER,
    identifier: takeIdentifier(identifier),
    authenticator: randomBytes(AUTHENTICATOR_LENGTH),
    attributes: [{ type: ATTRIBUTE.MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }],
  });
  const packet = parsed(bytes);
  hmacMessageAuthenticator(packet, packet.authenticator, secretBuffer(secret)).copy(bytes, FIRST_ATTRIBUTE_VALUE_OFFSET);
  return bytes;
}

// What a NAS checks (RFC 2866 §3, RFC 3579 §3.2): code 5, same Identifier, Response Authenticator,
// and a Message-Authenticator if present — required when the request was Status-Server (RFC 5997 §3).
// Says what is wrong with the response (null: nothing), so an assertion on it shows which check failed.
export function responseProblem(response: Buffer, request: Buffer, secret: string | Buffer): string | null {
  const res = parsePacket(response);
  const req = parsePacket(request);
  if (!res.ok) return `unparsable response: ${res.message}`;
  if (!req.ok) return `unparsable request: ${req.message}`;
  const key = secretBuffer(secret);
  const { packet } = res;
  if (packet.code !== CODE.ACCOUNTING_RESPONSE) return `code ${packet.code}, not Accounting-Response`;
  if (packet.identifier !== req.packet.identifier) return `identifier ${packet.identifier}, not the request's ${req.packet.identifier}`;
  if (!md5Authenticator(packet.bytes, req.packet.authenticator, key).equals(packet.authenticator)) return 'Response Authenticator does not match';
  const messageAuthenticators = packet.attributes.filter((a) => a.type === ATTRIBUTE.MESSAGE_AUTHENTICATOR);
  if (messageAuthenticators.length === 0) return req.packet.code === CODE.STATUS_SERVER ? 'no Message-Authenticator (the request was Status-Server)' : null;
  if (messageAuthenticators.length > 1) return 'more than one Message-Authenticator';
  if (!hmacMessageAuthenticator(packet, req.packet.authenticator, key).equals(messageAuthenticators[0].value)) return 'Message-Authenticator does not match';
  return null;
}

// An unsigned Accounting-Request holding exactly these attributes, decoded: for tests of attribute reading.
export function packetWithAttributes(attributes: RawAttribute[]): RadiusPacket {
  return parsed(encodePacket({ code: CODE.ACCOUNTING_REQUEST, identifier: 1, authenticator: ZERO_AUTHENTICATOR, attributes }));
}
