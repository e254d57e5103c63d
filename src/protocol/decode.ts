import { ByteReader } from './reader.ts';

export const MIN_PACKET_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const AUTHENTICATOR_OFFSET = 4;
export const AUTHENTICATOR_LENGTH = 16;

export const CODE = {
  ACCESS_REQUEST: 1,
  ACCOUNTING_REQUEST: 4,
  ACCOUNTING_RESPONSE: 5,
  STATUS_SERVER: 12,
} as const;

export interface RawAttribute {
  type: number;
  value: Buffer;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  length: number;
  authenticator: Buffer;
  bytes: Buffer;
  attributes: RawAttribute[];
}

export type DiscardReason = 'malformed' | 'unsupported_code' | 'bad_authenticator';

export type DecodeResult =
  | { ok: true; packet: RadiusPacket }
  | { ok: false; reason: DiscardReason; message: string };

export type ParseResult =
  | { ok: true; packet: RadiusPacket }
  | { ok: false; reason: 'malformed'; message: string };

function malformed(message: string): { ok: false; reason: 'malformed'; message: string } {
  return { ok: false, reason: 'malformed', message: `radius: ${message}` };
}

// Structural checks only, whatever the Code: RFC 2865 §3 (Length bounds, padding past Length ignored,
// shorter than Length discarded) and §5 (each attribute 2 ≤ Length ≤ what is left).
export function parsePacket(datagram: Buffer): ParseResult {
  const header = new ByteReader(datagram);
  const code = header.u8();
  const identifier = header.u8();
  const length = header.u16();
  if (code === undefined || identifier === undefined || length === undefined || datagram.length < MIN_PACKET_LENGTH) {
    return malformed(`datagram of ${datagram.length} bytes is shorter than the ${MIN_PACKET_LENGTH}-byte header`);
  }
  if (length < MIN_PACKET_LENGTH) return malformed(`Length ${length} < ${MIN_PACKET_LENGTH}`);
  if (length > MAX_PACKET_LENGTH) return malformed(`Length ${length} > ${MAX_PACKET_LENGTH}`);
  if (length > datagram.length) return malformed(`Length ${length} > datagram size ${datagram.length}`);

  const bytes = datagram.subarray(0, length);
  const reader = new ByteReader(bytes, MIN_PACKET_LENGTH);
  const attributes: RawAttribute[] = [];
  while (reader.remaining > 0) {
    const at = reader.offset;
    const type = reader.u8();
    const attributeLength = reader.u8();
    if (type === undefined || attributeLength === undefined) {
      return malformed(`attribute at offset ${at} has no Length octet`);
    }
    if (attributeLength < 2) return malformed(`attribute ${type} at offset ${at} has Length ${attributeLength} < 2`);
    const value = reader.bytes(attributeLength - 2);
    if (value === undefined) {
      return malformed(`attribute ${type} at offset ${at} has Length ${attributeLength}, past the packet end`);
    }
    attributes.push({ type, value });
  }

  const authenticator = bytes.subarray(AUTHENTICATOR_OFFSET, AUTHENTICATOR_OFFSET + AUTHENTICATOR_LENGTH);
  return { ok: true, packet: { code, identifier, length, authenticator, bytes, attributes } };
}

// What a server accepts: a well-formed Accounting-Request (RFC 2866 §3) or Status-Server (RFC 5997).
// Signatures are checked separately (authenticator.ts) because they need the NAS's secret.
export function decodePacket(datagram: Buffer): DecodeResult {
  const parsed = parsePacket(datagram);
  if (!parsed.ok) return parsed;
  const { code } = parsed.packet;
  if (code !== CODE.ACCOUNTING_REQUEST && code !== CODE.STATUS_SERVER) {
    return { ok: false, reason: 'unsupported_code', message: `radius: Code ${code} is not Accounting-Request or Status-Server` };
  }
  return parsed;
}
