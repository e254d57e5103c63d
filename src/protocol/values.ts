// Value decoders for the attribute data types of RFC 2865 §5 and RFC 2869 §5. Each returns undefined
// for a value of the wrong size, so a bad attribute reads as absent instead of throwing.

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const HEX_TEXT_PREFIX = 'hex:';

// "string" attributes are octets (RFC 2865 §5); NASes nearly always send UTF-8 text. Valid UTF-8
// without NUL and not itself starting with 'hex:' is returned as that text; anything else as 'hex:' +
// the lowercase hex of the exact bytes. The mapping is one-to-one, so textBytes() gets the exact
// bytes back. NUL is hex-encoded because PostgreSQL text and jsonb cannot hold U+0000.
export function textValue(value: Buffer): string {
  // Nearly every NAS string is printable ASCII: that needs no UTF-8 validation.
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === 0 || c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const text = value.toString('latin1');
    return text.startsWith(HEX_TEXT_PREFIX) ? HEX_TEXT_PREFIX + value.toString('hex') : text;
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return HEX_TEXT_PREFIX + value.toString('hex');
  }
  if (text.includes('\u0000') || text.startsWith(HEX_TEXT_PREFIX)) return HEX_TEXT_PREFIX + value.toString('hex');
  return text;
}

export function textBytes(text: string): Buffer {
  return text.startsWith(HEX_TEXT_PREFIX)
    ? Buffer.from(text.slice(HEX_TEXT_PREFIX.length), 'hex')
    : Buffer.from(text, 'utf8');
}

// "integer" and "time" are 32-bit unsigned, big-endian (RFC 2865 §5, RFC 2869 §5.3).
export function uint32Value(value: Buffer): number | undefined {
  return value.length === 4 ? value.readUInt32BE(0) : undefined;
}

export function ipv4Value(value: Buffer): string | undefined {
  return value.length === 4 ? `${value[0]}.${value[1]}.${value[2]}.${value[3]}` : undefined;
}

/** uint32Value and ipv4Value of the value bytes [start, end) of `bytes`, without slicing them out. */
export function uint32At(bytes: Buffer, start: number, end: number): number | undefined {
  return end - start === 4 ? bytes.readUInt32BE(start) : undefined;
}

export function ipv4At(bytes: Buffer, start: number, end: number): string | undefined {
  return end - start === 4 ? `${bytes[start]}.${bytes[start + 1]}.${bytes[start + 2]}.${bytes[start + 3]}` : undefined;
}

// Acct-*-Gigawords counts how many times Acct-*-Octets wrapped past 2^32 (RFC 2869 §5.1, §5.2).
export function counter64(low: number | undefined, high: number | undefined): bigint | undefined {
  if (low === undefined) return undefined;
  return (BigInt(high ?? 0) << 32n) + BigInt(low);
}
