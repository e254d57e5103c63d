import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import radius from 'radius';
import { isAuthenticAccountingRequest, isAuthenticStatusServer } from '../../../src/protocol/authenticator.ts';
import { encodeAccountingResponse } from '../../../src/protocol/encode.ts';
import { decodePacket, parsePacket, type RadiusPacket } from '../../../src/protocol/decode.ts';
import { SECRET } from '../../helpers/fixtures.ts';
import { accountingRequest, responseProblem, statusServer } from '../../helpers/packets.ts';

const KEY = Buffer.from(SECRET);
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
      expect(isAuthenticAccountingRequest(decoded(accountingRequest(START, KEY)), KEY)).to.equal(true);
    });

    it('rejects the wrong secret and an empty secret', () => {
      const packet = decoded(accountingRequest(START, KEY));
      const authentic = (secret: Buffer) => isAuthenticAccountingRequest(packet, secret);
      expect({ wrong: authentic(Buffer.from(SECRET.toUpperCase())), empty: authentic(Buffer.alloc(0)) }).to.deep.equal({ wrong: false, empty: false });
    });

    it('rejects any single-bit change in the authenticator or the attributes', () => {
      const bytes = accountingRequest(START, KEY);
      const acceptedOffsets = [];
      for (let offset = 0; offset < bytes.length; offset++) {
        const result = decodePacket(flipped(bytes, offset));
        if (result.ok && isAuthenticAccountingRequest(result.packet, KEY)) acceptedOffsets.push(offset);
      }
      expect(acceptedOffsets, 'offsets whose flipped bit was still accepted').to.deep.equal([]);
    });

    it('rejects an authenticator byte d4 changed to 80, which the radius package accepts', () => {
      // Both bytes decode to U+FFFD when not followed by a continuation byte; the package compares
      // authenticators as UTF-8 strings (docs/stack-notes.md §5).
      const { bytes, offset } = findUtf8Collision();
      const tampered = Buffer.from(bytes);
      tampered[offset] = 0x80;
      expect(() => radius.decode({ packet: tampered, secret: KEY })).not.to.throw();
      expect(isAuthenticAccountingRequest(decoded(tampered), KEY)).to.equal(false);
    });

    it('verifies with trailing padding: it is not hashed (RFC 2865 §3)', () => {
      const padded = Buffer.concat([accountingRequest(START, KEY), Buffer.from('00ff00ff', 'hex')]);
      expect(isAuthenticAccountingRequest(decoded(padded), KEY)).to.equal(true);
    });

    it('rejects a Status-Server', () => {
      expect(isAuthenticAccountingRequest(decoded(statusServer(KEY)), KEY)).to.equal(false);
    });

    describe('Message-Authenticator (RFC 3579 §3.2)', () => {
      it('accepts radclient’s request: HMAC taken with a zero Authenticator field', () => {
        const bytes = Buffer.from(fixtures.accountingRequestWithMessageAuthenticator.hex, 'hex');
        expect(isAuthenticAccountingRequest(decoded(bytes), Buffer.from(fixtures.secret))).to.equal(true);
      });

      it('accepts our own signed request with one', () => {
        const bytes = accountingRequest({ ...START, messageAuthenticator: true }, KEY);
        expect(isAuthenticAccountingRequest(decoded(bytes), KEY)).to.equal(true);
      });

      it('rejects a bad one even when the Request Authenticator matches', () => {
        const bytes = accountingRequest({ ...START, messageAuthenticator: true }, KEY);
        const packet = decoded(resigned(flipped(bytes, 22)));
        expect({ first: packet.attributes[0].type, authentic: isAuthenticAccountingRequest(packet, KEY) }).to.deep.equal({ first: 80, authentic: false });
      });

      it('rejects one of the wrong length, and two of them', () => {
        const short = accountingRequest({ ...START, extra: [{ type: 80, value: Buffer.alloc(15) }] }, KEY);
        const signed = accountingRequest({ ...START, messageAuthenticator: true }, KEY);
        const packet = decoded(signed);
        const twice = accountingRequest(
          { ...START, messageAuthenticator: true, extra: [{ type: 80, value: packet.attributes[0].value }] },
          KEY,
        );
        const authentic = (bytes: Buffer) => isAuthenticAccountingRequest(decoded(bytes), KEY);
        expect({ short: authentic(short), twice: authentic(twice) }).to.deep.equal({ short: false, twice: false });
      });
    });
  });

  describe('isAuthenticStatusServer (RFC 5997 §3)', () => {
    it('accepts a good Message-Authenticator, ours and radclient’s', () => {
      const captured = Buffer.from(fixtures.statusServer.hex, 'hex');
      expect({
        ours: isAuthenticStatusServer(decoded(statusServer(KEY)), KEY),
        radclient: isAuthenticStatusServer(decoded(captured), Buffer.from(fixtures.secret)),
      }).to.deep.equal({ ours: true, radclient: true });
    });

    it('rejects one without a Message-Authenticator', () => {
      const bare = Buffer.from('0c05' + '0014' + 'aa'.repeat(16), 'hex');
      expect(isAuthenticStatusServer(decoded(bare), KEY)).to.equal(false);
    });

    it('rejects a bad Message-Authenticator, a changed authenticator and the wrong secret', () => {
      const bytes = statusServer(KEY);
      expect({
        messageAuthenticator: isAuthenticStatusServer(decoded(flipped(bytes, 30)), KEY),
        authenticator: isAuthenticStatusServer(decoded(flipped(bytes, 4)), KEY),
        secret: isAuthenticStatusServer(decoded(bytes), Buffer.from('other')),
      }).to.deep.equal({ messageAuthenticator: false, authenticator: false, secret: false });
    });

    it('rejects an Accounting-Request', () => {
      expect(isAuthenticStatusServer(decoded(accountingRequest(START, KEY)), KEY)).to.equal(false);
    });
  });

  describe('encodeAccountingResponse (RFC 2866 §4.2)', () => {
    it('builds the exact 20-byte response', () => {
      const request = Buffer.from('04070014' + '000102030405060708090a0b0c0d0e0f', 'hex');
      const response = encodeAccountingResponse(decoded(request), KEY);
      const expectedAuthenticator = md5Hex('05070014' + '000102030405060708090a0b0c0d0e0f', KEY);
      expect(response.toString('hex')).to.equal('05070014' + expectedAuthenticator);
    });

    it('echoes every Proxy-State in order and nothing else', () => {
      const proxyState = [Buffer.from('first'), Buffer.from('0203', 'hex'), Buffer.from('third')];
      const request = accountingRequest({ ...START, proxyState, identifier: 42 }, KEY);
      const response = encodeAccountingResponse(decoded(request), KEY);
      const packet = decodeResponse(response);
      expect(packet.identifier).to.equal(42);
      expect(packet.attributes.map((a) => [a.type, a.value.toString('hex')])).to.deep.equal(
        proxyState.map((value) => [33, value.toString('hex')]),
      );
      expect(responseProblem(response, request, KEY)).to.equal(null);
    });

    it('answers a request carrying a Message-Authenticator without one', () => {
      const request = accountingRequest({ ...START, messageAuthenticator: true }, KEY);
      const response = encodeAccountingResponse(decoded(request), KEY);
      expect(response.length).to.equal(20);
      expect(responseProblem(response, request, KEY)).to.equal(null);
    });

    it('answers Status-Server with a Message-Authenticator first, then Proxy-State', () => {
      const request = statusServer(KEY, 9);
      const withProxyState = resignedStatusServer(request, Buffer.from('ps'));
      for (const bytes of [request, withProxyState]) {
        const response = encodeAccountingResponse(decoded(bytes), KEY);
        const packet = decodeResponse(response);
        expect(packet.code).to.equal(5);
        expect(packet.attributes[0].type).to.equal(80);
        expect(responseProblem(response, bytes, KEY)).to.equal(null);
      }
      const packet = decodeResponse(encodeAccountingResponse(decoded(withProxyState), KEY));
      expect(packet.attributes.map((a) => a.type)).to.deep.equal([80, 33]);
    });

    it('responseProblem names a wrong secret, a changed byte and a different Identifier', () => {
      const request = accountingRequest(START, KEY);
      const response = encodeAccountingResponse(decoded(request), KEY);
      expect([
        responseProblem(response, request, 'nope'),
        responseProblem(flipped(response, 10), request, KEY),
        responseProblem(flipped(response, 1), request, KEY),
      ]).to.deep.equal(['Response Authenticator does not match', 'Response Authenticator does not match', `identifier ${request[1]! ^ 1}, not the request's ${request[1]}`]);
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
  createHash('md5').update(copy).update(KEY).digest().copy(copy, 4);
  return copy;
}

// A Status-Server with a Proxy-State appended after its Message-Authenticator, re-signed.
function resignedStatusServer(bytes: Buffer, proxyState: Buffer): Buffer {
  const withAttribute = Buffer.concat([bytes, Buffer.from([33, proxyState.length + 2]), proxyState]);
  withAttribute.writeUInt16BE(withAttribute.length, 2);
  withAttribute.fill(0, 22, 38);
  createHmac('md5', KEY).update(withAttribute).digest().copy(withAttribute, 22);
  return withAttribute;
}

function findUtf8Collision(): { bytes: Buffer; offset: number } {
  for (let n = 0; n < 5000; n++) {
    const bytes = accountingRequest({ ...START, sessionId: `collide-${n}`, identifier: n % 256 }, KEY);
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
