import { ATTRIBUTE } from './attribute-ids.ts';
import { AUTHENTICATOR_LENGTH, CODE, type RadiusPacket, type RawAttribute } from './decode.ts';
import { encodePacket } from './encode.ts';
import { libAttributeName, libDecodeAttributes } from './radius-lib.ts';
import { textValue } from './values.ts';

export interface RawJournalValue {
  type: number;
  hex: string;
  vendorId?: number;
}

export type JournalValue = string | number | RawJournalValue | { tag: number; value: JournalValue };

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);

// Every attribute, JSON-safe, for the packet journal (docs/accounting.md §8). Names and value types come
// from the `radius` package's RFC dictionaries; an attribute it does not know, cannot decode, or a
// Vendor-Specific (no vendor dictionaries are loaded) is kept raw. Repeated attributes become arrays in
// packet order. User-Password and other encrypted attributes are left out. Never throws.
export function journalAttributes(packet: RadiusPacket): Record<string, unknown> {
  try {
    return buildJournal(packet);
  } catch {
    return { undecodable: packet.attributes.map(rawValue) };
  }
}

function buildJournal(packet: RadiusPacket): Record<string, unknown> {
  const totals = new Map<number, number>();
  for (const { type } of packet.attributes) totals.set(type, (totals.get(type) ?? 0) + 1);
  // One decode of the whole packet is the fast path; the library gives up on the whole packet when one
  // attribute is bad, so then each attribute is decoded on its own.
  const whole = libDecodeAttributes(packet.bytes);

  const seen = new Map<number, number>();
  const journal: Record<string, JournalValue[]> = {};
  for (const attribute of packet.attributes) {
    const occurrence = seen.get(attribute.type) ?? 0;
    seen.set(attribute.type, occurrence + 1);
    if (attribute.type === ATTRIBUTE.USER_PASSWORD) continue;
    const entry = journalEntry(attribute, whole, occurrence, totals.get(attribute.type) ?? 1);
    if (entry !== undefined) (journal[entry.name] ??= []).push(entry.value);
  }
  return Object.fromEntries(Object.entries(journal).map(([name, values]) => [name, values.length === 1 ? values[0] : values]));
}

function journalEntry(
  attribute: RawAttribute,
  whole: Record<string, unknown> | undefined,
  occurrence: number,
  total: number,
): { name: string; value: JournalValue } | undefined {
  if (attribute.type === ATTRIBUTE.VENDOR_SPECIFIC) return { name: 'Vendor-Specific', value: rawValue(attribute) };
  const name = libAttributeName(attribute.type);
  if (name === undefined) return { name: `Attr-${attribute.type}`, value: rawValue(attribute) };

  const decoded = whole === undefined ? decodeAlone(attribute)?.[name] : nthValue(whole[name], occurrence, total);
  // The library yields null for encrypted attributes (User-Password, Tunnel-Password) without the secret.
  if (decoded === null) return undefined;
  return { name, value: jsonValue(decoded, attribute.value) ?? rawValue(attribute) };
}

// The library folds repeats into an array, and a single tagged attribute (RFC 2868 §3) into [tag, value].
function nthValue(decoded: unknown, occurrence: number, total: number): unknown {
  if (total === 1) return decoded;
  return Array.isArray(decoded) && decoded.length === total ? decoded[occurrence] : undefined;
}

function decodeAlone(attribute: RawAttribute): Record<string, unknown> | undefined {
  const bytes = encodePacket({
    code: CODE.ACCOUNTING_REQUEST,
    identifier: 0,
    authenticator: ZERO_AUTHENTICATOR,
    attributes: [attribute],
  });
  return libDecodeAttributes(bytes);
}

function jsonValue(decoded: unknown, raw: Buffer): JournalValue | undefined {
  // The library decodes text lossily (invalid UTF-8 → U+FFFD); use the exact form from textValue().
  if (typeof decoded === 'string') return decoded === raw.toString('utf8') ? textValue(raw) : decoded;
  if (typeof decoded === 'number') return Number.isFinite(decoded) ? decoded : undefined;
  if (decoded instanceof Date) return Number.isNaN(decoded.getTime()) ? undefined : decoded.toISOString();
  if (Buffer.isBuffer(decoded)) return '0x' + decoded.toString('hex');
  if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === 'number') {
    const value = jsonValue(decoded[1], raw.subarray(1));
    return value === undefined ? undefined : { tag: decoded[0], value };
  }
  return undefined;
}

function rawValue({ type, value }: RawAttribute): RawJournalValue {
  const raw: RawJournalValue = { type, hex: value.toString('hex') };
  if (type === ATTRIBUTE.VENDOR_SPECIFIC && value.length >= 4) raw.vendorId = value.readUInt32BE(0);
  return raw;
}
