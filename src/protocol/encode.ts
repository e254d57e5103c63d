import { AUTHENTICATOR_LENGTH, MAX_PACKET_LENGTH, MIN_PACKET_LENGTH, type RawAttribute } from './decode.ts';

const MAX_ATTRIBUTE_VALUE_LENGTH = 253;

export interface PacketFields {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: readonly RawAttribute[];
}

// Type‖Length‖Value for each attribute (RFC 2865 §5). Throws on values no RADIUS peer could parse:
// the encoder only ever sees our own data, so that is a programming error, not input.
export function encodeAttributes(attributes: readonly RawAttribute[]): Buffer {
  const parts: Buffer[] = [];
  for (const { type, value } of attributes) {
    if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`radius: attribute type ${type} is not 0-255`);
    if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw new RangeError(`radius: attribute ${type} value of ${value.length} bytes > ${MAX_ATTRIBUTE_VALUE_LENGTH}`);
    }
    parts.push(Buffer.from([type, value.length + 2]), value);
  }
  return Buffer.concat(parts);
}

// Header (RFC 2865 §3) plus attributes, with the Authenticator field copied as given;
// signing is authenticator.ts's job.
export function encodePacket(fields: PacketFields): Buffer {
  if (fields.authenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new RangeError(`radius: authenticator of ${fields.authenticator.length} bytes, expected ${AUTHENTICATOR_LENGTH}`);
  }
  const attributes = encodeAttributes(fields.attributes);
  const length = MIN_PACKET_LENGTH + attributes.length;
  if (length > MAX_PACKET_LENGTH) throw new RangeError(`radius: packet of ${length} bytes > ${MAX_PACKET_LENGTH}`);
  const header = Buffer.alloc(4);
  header.writeUInt8(fields.code, 0);
  header.writeUInt8(fields.identifier, 1);
  header.writeUInt16BE(length, 2);
  return Buffer.concat([header, fields.authenticator, attributes]);
}
