import { expect } from 'chai';
import { decodePacket, MAX_PACKET_LENGTH, parsePacket, type DecodeResult } from '../../../src/protocol/decode.ts';

// Code 4, Identifier 7, Length, 16-byte authenticator 00..0f, then attributes.
function datagram(attributesHex: string, { code = 4, length }: { code?: number; length?: number } = {}): Buffer {
  const attributes = Buffer.from(attributesHex.replace(/\s+/g, ''), 'hex');
  const header = Buffer.alloc(4);
  header.writeUInt8(code, 0);
  header.writeUInt8(7, 1);
  header.writeUInt16BE(length ?? 20 + attributes.length, 2);
  return Buffer.concat([header, Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'), attributes]);
}

function reasonOf(result: DecodeResult): string {
  return result.ok ? 'ok' : result.reason;
}

describe('protocol/decode', () => {
  it('decodes header and attributes in packet order, VSAs whole', () => {
    const result = decodePacket(datagram('2806 00000001  2c05 616263  1a0a 00000009 0104 6162  2c03 7a'));
    expect(result).to.include({ ok: true });
    if (!result.ok) return;
    const { packet } = result;
    expect(packet.code).to.equal(4);
    expect(packet.identifier).to.equal(7);
    expect(packet.length).to.equal(20 + 6 + 5 + 10 + 3);
    expect(packet.authenticator.toString('hex')).to.equal('000102030405060708090a0b0c0d0e0f');
    expect(packet.attributes.map((a) => [a.type, a.value.toString('hex')])).to.deep.equal([
      [40, '00000001'],
      [44, '616263'],
      [26, '0000000901046162'],
      [44, '7a'],
    ]);
  });

  it('accepts a packet with no attributes and an attribute with an empty value', () => {
    expect(reasonOf(decodePacket(datagram('')))).to.equal('ok');
    const result = decodePacket(datagram('2c02'));
    expect(result.ok && result.packet.attributes[0].value.length).to.equal(0);
  });

  it('ignores padding past Length (RFC 2865 §3) and keeps it out of bytes', () => {
    const exact = datagram('2c05 616263');
    const result = decodePacket(Buffer.concat([exact, Buffer.from('deadbeef00', 'hex')]));
    expect(result).to.include({ ok: true });
    if (!result.ok) return;
    expect(result.packet.bytes.toString('hex')).to.equal(exact.toString('hex'));
    expect(result.packet.attributes).to.have.length(1);
  });

  describe('malformed', () => {
    const cases: Array<[string, Buffer]> = [
      ['empty datagram', Buffer.alloc(0)],
      ['3 bytes', Buffer.from('040100', 'hex')],
      ['19 bytes (truncated header)', datagram('').subarray(0, 19)],
      ['Length 19 < 20', datagram('', { length: 19 })],
      ['Length 0', datagram('', { length: 0 })],
      ['Length 4097 > 4096', Buffer.concat([datagram('', { length: MAX_PACKET_LENGTH + 1 }), Buffer.alloc(4100)])],
      ['Length > datagram size', datagram('2c05 616263', { length: 26 })],
      ['attribute length 0', datagram('2c00 6162')],
      ['attribute length 1', datagram('2c01 6162')],
      ['lone trailing type octet', datagram('2c03 61 2c')],
      ['attribute overrunning the packet', datagram('2c09 616263')],
      ['attribute overrunning Length into padding', Buffer.concat([datagram('2c05 6162', { length: 24 }), Buffer.from('63', 'hex')])],
    ];
    for (const [name, input] of cases) {
      it(name, () => {
        const result = decodePacket(input);
        expect(reasonOf(result)).to.equal('malformed');
        expect(!result.ok && result.message).to.match(/^radius: /);
      });
    }

    it('accepts Length exactly 4096', () => {
      const fullAttributes = Array.from({ length: 15 }, () => 'ffff' + '00'.repeat(253)).join('');
      const input = datagram(fullAttributes + '2cfb' + '00'.repeat(249));
      expect(input.length).to.equal(MAX_PACKET_LENGTH);
      expect(reasonOf(decodePacket(input))).to.equal('ok');
    });
  });

  describe('unsupported_code', () => {
    for (const code of [1, 2, 5, 11, 0, 255]) {
      it(`Code ${code}`, () => {
        expect(reasonOf(decodePacket(datagram('2c05 616263', { code })))).to.equal('unsupported_code');
      });
    }

    it('Status-Server (12) is supported', () => {
      expect(reasonOf(decodePacket(datagram('', { code: 12 })))).to.equal('ok');
    });

    it('checks structure before Code (accounting.md §1 order)', () => {
      expect(reasonOf(decodePacket(datagram('2c01', { code: 1 })))).to.equal('malformed');
    });

    it('parsePacket accepts any Code, for reading responses', () => {
      expect(parsePacket(datagram('', { code: 5 }))).to.include({ ok: true });
    });
  });
});
