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
  /** The packet up to its Length (padding past it is not part of the packet). */
  bytes: Buffer;
  /** Every attribute in packet order (materialised on first use: the hot path reads `bytes` directly). */
  readonly attributes: RawAttribute[];
  /** Whether the packet carries a Message-Authenticator (RFC 3579 §3.2). */
  readonly hasMessageAuthenticator: boolean;
}

/** Decode failures that are a discard reason of their own (docs/accounting.md §1). */
export type DecodeFailure = 'malformed' | 'unsupported_code';

export type DecodeResult =
  | { ok: true; packet: RadiusPacket }
  | { ok: false; reason: DecodeFailure; message: string };

export type ParseResult =
  | { ok: true; packet: RadiusPacket }
  | { ok: false; reason: 'malformed'; message: string };

const MESSAGE_AUTHENTICATOR = 80; // RFC 3579 §3.2

function malformed(message: string): { ok: false; reason: 'malformed'; message: string } {
  return { ok: false, reason: 'malformed', message: `radius: ${message}` };
}

class Packet implements RadiusPacket {
  private list: RawAttribute[] | null = null;
  constructor(
    readonly code: number,
    readonly identifier: number,
    readonly length: number,
    readonly authenticator: Buffer,
    readonly bytes: Buffer,
    readonly hasMessageAuthenticator: boolean,
  ) {}

  get attributes(): RawAttribute[] {
    if (this.list) return this.list;
    const list: RawAttribute[] = [];
    forEachAttribute(this.bytes, (type, start, end) => list.push({ type, value: this.bytes.subarray(start, end) }));
    return (this.list = list);
  }
}

/**
 * Calls `fn(type, valueStart, valueEnd)` for each attribute of a packet that parsePacket accepted (its
 * framing is known to be sound). Allocates nothing: this runs for every datagram.
 */
export function forEachAttribute(bytes: Buffer, fn: (type: number, start: number, end: number) => void): void {
  for (let at = MIN_PACKET_LENGTH; at + 2 <= bytes.length; ) {
    const length = bytes[at + 1]!;
    fn(bytes[at]!, at + 2, at + length);
    at += length;
  }
}

// Structural checks only, whatever the Code: RFC 2865 §3 (Length bounds, padding past Length ignored,
// shorter than Length discarded) and §5 (each attribute 2 ≤ Length ≤ what is left).
export function parsePacket(datagram: Buffer): ParseResult {
  if (datagram.length < MIN_PACKET_LENGTH) {
    return malformed(`datagram of ${datagram.length} bytes is shorter than the ${MIN_PACKET_LENGTH}-byte header`);
  }
  const code = datagram[0]!;
  const identifier = datagram[1]!;
  const length = (datagram[2]! << 8) | datagram[3]!;
  if (length < MIN_PACKET_LENGTH) return malformed(`Length ${length} < ${MIN_PACKET_LENGTH}`);
  if (length > MAX_PACKET_LENGTH) return malformed(`Length ${length} > ${MAX_PACKET_LENGTH}`);
  if (length > datagram.length) return malformed(`Length ${length} > datagram size ${datagram.length}`);

  let hasMessageAuthenticator = false;
  for (let at = MIN_PACKET_LENGTH; at < length; ) {
    if (at + 1 >= length) return malformed(`attribute at offset ${at} has no Length octet`);
    const type = datagram[at]!;
    const attributeLength = datagram[at + 1]!;
    if (attributeLength < 2) return malformed(`attribute ${type} at offset ${at} has Length ${attributeLength} < 2`);
    if (at + attributeLength > length) {
      return malformed(`attribute ${type} at offset ${at} has Length ${attributeLength}, past the packet end`);
    }
    if (type === MESSAGE_AUTHENTICATOR) hasMessageAuthenticator = true;
    at += attributeLength;
  }

  const bytes = datagram.subarray(0, length);
  const authenticator = bytes.subarray(AUTHENTICATOR_OFFSET, AUTHENTICATOR_OFFSET + AUTHENTICATOR_LENGTH);
  return { ok: true, packet: new Packet(code, identifier, length, authenticator, bytes, hasMessageAuthenticator) };
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
