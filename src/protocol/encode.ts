import { ATTRIBUTE } from './attribute-ids.ts';
import { hmacMessageAuthenticator, md5Authenticator, MESSAGE_AUTHENTICATOR_LENGTH } from './authenticator.ts';
import {
  AUTHENTICATOR_LENGTH,
  AUTHENTICATOR_OFFSET,
  CODE,
  MAX_PACKET_LENGTH,
  MIN_PACKET_LENGTH,
  parsePacket,
  type RadiusPacket,
  type RawAttribute,
} from './decode.ts';

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
// signing is the caller's job (md5Authenticator, hmacMessageAuthenticator).
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

// Accounting-Response (RFC 2866 §4.2): same Identifier, every Proxy-State echoed in order
// (RFC 2865 §5.33). A reply to Status-Server also gets a Message-Authenticator (RFC 5997 §3), put first
// as recommended against forged-response attacks (BlastRADIUS, CVE-2024-3596) and computed with the
// request's authenticator in the field (RFC 3579 §3.2); the Response Authenticator is computed last,
// over the finished Message-Authenticator.
export function encodeAccountingResponse(request: RadiusPacket, secret: Buffer): Buffer {
  const withMessageAuthenticator = request.code === CODE.STATUS_SERVER;
  const attributes: RawAttribute[] = request.attributes.filter((a) => a.type === ATTRIBUTE.PROXY_STATE);
  if (!withMessageAuthenticator && attributes.length === 0) return bareResponse(request, secret);
  if (withMessageAuthenticator) {
    attributes.unshift({ type: ATTRIBUTE.MESSAGE_AUTHENTICATOR, value: Buffer.alloc(MESSAGE_AUTHENTICATOR_LENGTH) });
  }
  const bytes = encodePacket({
    code: CODE.ACCOUNTING_RESPONSE,
    identifier: request.identifier,
    authenticator: request.authenticator,
    attributes,
  });
  if (withMessageAuthenticator) {
    const response = parsePacket(bytes);
    if (!response.ok) throw new Error(`radius: encoded an unparsable response: ${response.message}`);
    hmacMessageAuthenticator(response.packet, request.authenticator, secret).copy(bytes, MIN_PACKET_LENGTH + 2);
  }
  md5Authenticator(bytes, request.authenticator, secret).copy(bytes, AUTHENTICATOR_OFFSET);
  return bytes;
}

// The answer to nearly every Accounting-Request: a 20-byte header whose Response Authenticator is
// MD5(Code‖Identifier‖Length‖Request Authenticator‖Secret).
function bareResponse(request: RadiusPacket, secret: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(MIN_PACKET_LENGTH);
  bytes[0] = CODE.ACCOUNTING_RESPONSE;
  bytes[1] = request.identifier;
  bytes[2] = 0;
  bytes[3] = MIN_PACKET_LENGTH;
  md5Authenticator(bytes, request.authenticator, secret).copy(bytes, AUTHENTICATOR_OFFSET);
  return bytes;
}
