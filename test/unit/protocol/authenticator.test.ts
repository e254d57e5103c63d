import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import radius from 'radius';
import {
  
  isAuthenticAccountingRequest,
  isAuthenticStatusServer,
} from '../../../src/protocol/authenticator.ts';
import { encodeAccountingResponse } from '../../../src/protocol/encode.ts';
import { decodePacket, parsePacket, type RadiusPacket } from '../../../src/protocol/decode.ts';
import { accountingRequest, isValidResponse, statusServer } from '../../helpers/packets.ts';

const SECRET = Buffer.from('s3cret');
const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/protocol/radclient-captures.json', import.meta.url), 'utf8')) as {
  secret: string;
  accountingRequestWithMessageAuthenticator: { hex: string };
  statusServer: { hex: string };
};

function decoded(bytes: Buffer): RadiusPacket {
  const result = decodePacket(bytes);
  if (!result.ok) throw new Error(result.message);
  return result.packet;
}

function flipped(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] ^= 0x01;
  return copy;
}

const START = { statusType: 'Start', sessionId: 'sess-1', userName: 'alice', nasIp: '192.0.2.1' } as const;

describe('protocol/authenticator', () => {
  describe('isAuthenticAccountingRequest (RFC 2866 §3)', () => {
    it('accepts a correctly signed request', () => {
      expect(isAuthenticAccountingRequest(decoded(accountingRequest(START, SECRET)), SECRET)).to.equal(true);
    });

    it('rejects the wrong secret and an empty secret', () => {
      const packet = decoded(accountingRequest(START, SECRET));
      expect(isAuthenticAccountingRequest(packet, Buffer.from('s3creT'))).to.equal(false);
      expect(isAuthenticAccountingRequest(packet, Buffer.alloc(0))).to.equal(false);
    });

    it('rejects any single-bit change in the authenticator or the attributes', () => {
      const bytes = accountingRequest(START, SECRET);
      for (let offset = 0; offset < bytes.length; offset++) {
        const result = decodePacket(flipped(bytes, offset));
        if (result.ok) expect(isAuthenticAccountingRequest(result.packet, SECRET), `offset ${offset}`).to.equal(false);
      }
    });

    it('rejects an authenticator byte d4 changed to 80, which the radius package accepts', () => {
      // Both bytes decode to U+FFFD when not followed by a continuation byte; the package compares
      // authenticators as UTF-8 strings (docs/stack-notes.md §5).
      const { bytes, offset } = findUtf8Collision();
      const tampered = Buffer.from(bytes);
      tampered[offset] = 0x80;
      expect(() => radius.decode({ packet: tampered, secret: SECRET })).not.to.throw();
      expect(isAuthenticAccountingRequest(decoded(tampered), SECRET)).to.equal(false);
    });

    it('verifies with trailing padding: it is not hashed (RFC 2865 §3)', () => {
      const padded = Buffer.concat([accountingRequest(START, SECRET), Buffer.from('00ff00ff', 'hex')]);
      expect(isAuthenticAccountingRequest(decoded(padded), SECRET)).to.equal(true);
    });

    it('rejects a Status-Server', () => {
      expect(isAuthenticAccountingRequest(decoded(statusServer(SECRET)), SECRET)).to.equal(false);
    });

    describe('Message-Authenticator (RFC 3579 §3.2)', () => {
      it('accepts radclient’s request: HMAC taken with a zero Authenticator field', () => {
        const bytes = Buffer.from(fixtures.accountingRequestWithMessageAuthenticator.hex, 'hex');
        expect(isAuthenticAccountingRequest(decoded(bytes), Buffer.from(fixtures.secret))).to.equal(true);
      });

      it('accepts our own signed request with one', () => {
        const bytes = accountingRequest({ ...START, messageAuthenticator: true }, SECRET);
        expect(isAuthenticAccountingRequest(decoded(bytes), SECRET)).to.equal(true);
      });

      it('rejects a bad one even when the Request Authenticator matches', () => {
        const bytes = accountingRequest({ ...START, messageAuthenticator: true }, SECRET);
        const packet = decoded(resigned(flipped(bytes, 22)));
        expect(packet.attributes[0].type).to.equal(80);
        expect(isAuthenticAccountingRequest(packet, SECRET)).to.equal(false);
      });

      it('rejects one of the wrong length, and two of them', () => {
        const short = accountingRequest({ ...START, extra: [{ type: 80, value: Buffer.alloc(15) }] }, SECRET);
        expect(isAuthenticAccountingRequest(decoded(short), SECRET)).to.equal(false);
        const signed = accountingRequest({ ...START, messageAuthenticator: true }, SECRET);
        const packet = decoded(signed);
        const twice = accountingRequest(
          { ...START, messageAuthenticator: true, extra: [{ type: 80, value: packet.attributes[0].value }] },
          SECRET,
        );
        expect(isAuthenticAccountingRequest(decoded(twice), SECRET)).to.equal(false);
      });
    });
  });

  describe('isAuthenticStatusServer (RFC 5997 §3)', () => {
    it('accepts a good Message-Authenticator, ours and radclient’s', () => {
      expect(isAuthenticStatusServer(decoded(statusServer(SECRET)), SECRET)).to.equal(true);
      const captured = Buffer.from(fixtures.statusServer.hex, 'hex');
      expect(isAuthenticStatusServer(decoded(captured), Buffer.from(fixtures.secret))).to.equal(true);
    });

    it('rejects one without a Message-Authenticator', () => {
      const bare = Buffer.from('0c05' + '0014' + 'aa'.repeat(16), 'hex');
      expect(isAuthenticStatusServer(decoded(bare), SECRET)).to.equal(false);
    });

    it('rejects a bad Message-Authenticator, a changed authenticator and the wrong secret', () => {
      const bytes = statusServer(SECRET);
      expect(isAuthenticStatusServer(decoded(flipped(bytes, 30)), SECRET)).to.equal(false);
      expect(isAuthenticStatusServer(decoded(flipped(bytes, 4)), SECRET)).to.equal(false);
      expect(isAuthenticStatusServer(decoded(bytes), Buffer.from('other'))).to.equal(false);
    });

    it('rejects an Accounting-Request', () => {
      expect(isAuthenticStatusServer(decoded(accountingRequest(START, SECRET)), SECRET)).to.equal(false);
    });
  });

  describe('encodeAccountingResponse (RFC 2866 §4.2)', () => {
    it('builds the exact 20-byte response', () => {
      const request = Buffer.from('04070014' + '000102030405060708090a0b0c0d0e0f', 'hex');
      const response = encodeAccountingResponse(decoded(request), SECRET);
      const expectedAuthenticator = md5Hex('05070014' + '000102030405060708090a0b0c0d0e0f', SECRET);
      expect(response.toString('hex')).to.equal('05070014' + expectedAuthenticator);
    });

    it('echoes every Proxy-State in order and nothing else', () => {
      const proxyState = [Buffer.from('first'), Buffer.from('0203', 'hex'), Buffer.from('third')];
      const request = accountingRequest({ ...START, proxyState, identifier: 42 }, SECRET);
      const response = encodeAccountingResponse(decoded(request), SECRET);
      const packet = decodeResponse(response);
      expect(packet.identifier).to.equal(42);
      expect(packet.attributes.map((a) => [a.type, a.value.toString('hex')])).to.deep.equal(
        proxyState.map((value) => [33, value.toString('hex')]),
      );
      expect(isValidResponse(response, request, SECRET)).to.equal(true);
    });

    it('answers a request carrying a Message-Authenticator without one', () => {
      const request = accountingRequest({ ...START, messageAuthenticator: true }, SECRET);
      const response = encodeAccountingResponse(decoded(request), SECRET);
      expect(response.length).to.equal(20);
      expect(isValidResponse(response, request, SECRET)).to.equal(true);
    });

    it('answers Status-Server with a Message-Authenticator first, then Proxy-State', () => {
      const request = statusServer(SECRET, 9);
      const withProxyState = resignedStatusServer(request, Buffer.from('ps'));
      for (const bytes of [request, withProxyState]) {
        const response = encodeAccountingResponse(decoded(bytes), SECRET);
        const packet = decodeResponse(response);
        expect(packet.code).to.equal(5);
        expect(packet.attributes[0].type).to.equal(80);
        expect(isValidResponse(response, bytes, SECRET)).to.equal(true);
      }
      const packet = decodeResponse(encodeAccountingResponse(decoded(withProxyState), SECRET));
      expect(packet.attributes.map((a) => a.type)).to.deep.equal([80, 33]);
    });

    it('isValidResponse rejects a wrong secret, a changed byte and a different Identifier', () => {
      const request = accountingRequest(START, SECRET);
      const response = encodeAccountingResponse(decoded(request), SECRET);
      expect(isValidResponse(response, request, 'nope')).to.equal(false);
      expect(isValidResponse(flipped(response, 10), request, SECRET)).to.equal(false);
      expect(isValidResponse(flipped(response, 1), request, SECRET)).to.equal(false);
    });
  });
});

function md5Hex(hex: string, secret: Buffer): string {
  return createHash('md5').update(Buffer.from(hex, 'hex')).update(secret).digest('hex');
}

function decodeResponse(bytes: Buffer): RadiusPacket {
  const result = parsePacket(bytes);
  if (!result.ok) throw new Error(result.message);
  return result.packet;
}

// Recompute only the Request Authenticator, so that a changed Message-Authenticator is the sole fault.
function resigned(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.fill(0, 4, 20);
  createHash('md5').update(copy).update(SECRET).digest().copy(copy, 4);
  return copy;
}

// A Status-Server with a Proxy-State appended after its Message-Authenticator, re-signed.
function resignedStatusServer(bytes: Buffer, proxyState: Buffer): Buffer {
  const withAttribute = Buffer.concat([bytes, Buffer.from([33, proxyState.length + 2]), proxyState]);
  withAttribute.writeUInt16BE(withAttribute.length, 2);
  withAttribute.fill(0, 22, 38);
  createHmac('md5', SECRET).update(withAttribute).digest().copy(withAttribute, 22);
  return withAttribute;
}

function findUtf8Collision(): { bytes: Buffer; offset: number } {
  for (let n = 0; n < 5000; n++) {
    const bytes = accountingRequest({ ...START, sessionId: `collide-${n}`, identifier: n % 256 }, SECRET);
    const authenticator = bytes.subarray(4, 20);
    for (let i = 0; i < 16; i++) {
      if (authenticator[i] !== 0xd4) continue;
      const tampered = Buffer.from(authenticator);
      tampered[i] = 0x80;
      if (tampered.toString() === authenticator.toString()) return { bytes, offset: 4 + i };
    }
  }
  throw new Error('no d4 authenticator byte found in 5000 packets');
}
