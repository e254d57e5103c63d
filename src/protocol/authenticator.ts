import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { ATTRIBUTE } from './attribute-ids.ts';
import { AUTHENTICATOR_LENGTH, AUTHENTICATOR_OFFSET, CODE, type RadiusPacket } from './decode.ts';

export const MESSAGE_AUTHENTICATOR_LENGTH = 16;
const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);
const ZERO_MESSAGE_AUTHENTICATOR = Buffer.alloc(MESSAGE_AUTHENTICATOR_LENGTH);

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// MD5(Code‖Identifier‖Length‖authenticatorField‖Attributes‖Secret). With a zero field this is the
// Accounting-Request Request Authenticator (RFC 2866 §3); with the request's authenticator it is a
// Response Authenticator (RFC 2866 §3, RFC 2865 §3). Padding past Length is not hashed (packet.bytes).
// One-shot hashing of one contiguous buffer is about twice as fast as a streaming Hash (this runs twice for
// every packet), so the input is assembled in a reused scratch buffer.
let scratch = Buffer.allocUnsafe(4096 + 256);

export function md5Authenticator(bytes: Buffer, authenticatorField: Buffer, secret: Buffer): Buffer {
  const size = bytes.length + secret.length;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(size);
  bytes.copy(scratch, 0);
  authenticatorField.copy(scratch, AUTHENTICATOR_OFFSET);
  secret.copy(scratch, bytes.length);
  return hash('md5', scratch.subarray(0, size), 'buffer') as Buffer;
}

// HMAC-MD5 keyed by the secret over the packet with `authenticatorField` in the Authenticator field
// and the Message-Authenticator value as 16 zero octets (RFC 3579 §3.2). Which field to use depends on
// the packet: see the callers.
export function hmacMessageAuthenticator(packet: RadiusPacket, authenticatorField: Buffer, secret: Buffer): Buffer {
  const hmac = createHmac('md5', secret)
    .update(packet.bytes.subarray(0, AUTHENTICATOR_OFFSET))
    .update(authenticatorField);
  for (const { type, value } of packet.attributes) {
    hmac.update(Buffer.from([type, value.length + 2]));
    hmac.update(type === ATTRIBUTE.MESSAGE_AUTHENTICATOR ? ZERO_MESSAGE_AUTHENTICATOR : value);
  }
  return hmac.digest();
}

// RFC 3579 §3.2: at most one Message-Authenticator, 16 octets, and it must verify.
function messageAuthenticatorVerifies(
  packet: RadiusPacket,
  authenticatorField: Buffer,
  secret: Buffer,
  required: boolean,
): boolean {
  if (!packet.hasMessageAuthenticator) return !required;
  const found = packet.attributes.filter((a) => a.type === ATTRIBUTE.MESSAGE_AUTHENTICATOR);
  if (found.length > 1 || found[0].value.length !== MESSAGE_AUTHENTICATOR_LENGTH) return false;
  return sameBytes(hmacMessageAuthenticator(packet, authenticatorField, secret), found[0].value);
}

// RFC 2865 §3: the secret MUST NOT be empty; treat a missing one as "cannot authenticate".
function usable(packet: RadiusPacket, secret: Buffer): boolean {
  return secret.length > 0 && packet.authenticator.length === AUTHENTICATOR_LENGTH;
}

// Request Authenticator per RFC 2866 §3, and the Message-Authenticator if present. For an
// Accounting-Request the Message-Authenticator is computed with the Authenticator field as 16 zero
// octets: the Request Authenticator covers the Message-Authenticator, so it cannot also be an input
// to it. That is what FreeRADIUS does (rad_sign / rad_verify zero the vector for Accounting-Request,
// as RFC 5176 §3.4 prescribes for CoA-Request); radclient's packets in
// test/fixtures/protocol verify only this way. The `radius` npm package uses the field as-is and so
// rejects them.
export function isAuthenticAccountingRequest(packet: RadiusPacket, secret: Buffer): boolean {
  if (packet.code !== CODE.ACCOUNTING_REQUEST || !usable(packet, secret)) return false;
  if (!sameBytes(md5Authenticator(packet.bytes, ZERO_AUTHENTICATOR, secret), packet.authenticator)) return false;
  return messageAuthenticatorVerifies(packet, ZERO_AUTHENTICATOR, secret, false);
}

// RFC 5997 §3: Status-Server carries a random Request Authenticator (used as-is in the HMAC, as for
// Access-Request) and MUST carry a Message-Authenticator, which is its only protection.
export function isAuthenticStatusServer(packet: RadiusPacket, secret: Buffer): boolean {
  if (packet.code !== CODE.STATUS_SERVER || !usable(packet, secret)) return false;
  return messageAuthenticatorVerifies(packet, packet.authenticator, secret, true);
}
