import { expect } from 'chai';
import {
  ACCT_STATUS,
  acctStatusTypeName,
  readAccountingAttributes,
  type AccountingAttributes,
} from '../../../src/protocol/attributes.ts';
import { decodePacket, type RawAttribute } from '../../../src/protocol/decode.ts';
import { textBytes, textValue } from '../../../src/protocol/values.ts';
import { SECRET } from '../../helpers/fixtures.ts';
import { accountingRequest, packetWithAttributes } from '../../helpers/packets.ts';

function read(attributes: RawAttribute[]): AccountingAttributes {
  return readAccountingAttributes(packetWithAttributes(attributes));
}

function fromSpec(spec: Parameters<typeof accountingRequest>[0]): AccountingAttributes {
  const result = decodePacket(accountingRequest(spec, SECRET));
  if (!result.ok) throw new Error(result.message);
  return readAccountingAttributes(result.packet);
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('protocol/attributes', () => {
  it('reads every field of a full Stop', () => {
    expect(
      fromSpec({
        statusType: 'Stop',
        sessionId: '0000A1B2',
        userName: 'alice@example.net',
        nasIp: '192.0.2.1',
        nasPort: 15,
        nasPortId: 'ge-0/0/1.100',
        framedIp: '100.64.0.7',
        callingStationId: '00-11-22-33-44-55',
        calledStationId: 'bras-1',
        delay: 12,
        eventTimestamp: 1_763_780_000,
        sessionTime: 3600,
        inputOctets: 8589934715n,
        outputOctets: 42,
        inputPackets: 1000,
        outputPackets: 2000,
        terminateCause: 'User-Request',
        extra: [{ type: 32, value: Buffer.from('bras-1.example.net') }],
      }),
    ).to.deep.equal({
      acctStatusType: ACCT_STATUS.STOP,
      acctSessionId: '0000A1B2',
      userName: 'alice@example.net',
      nasIpAddress: '192.0.2.1',
      nasIdentifier: 'bras-1.example.net',
      nasPort: 15,
      nasPortId: 'ge-0/0/1.100',
      framedIpAddress: '100.64.0.7',
      callingStationId: '00-11-22-33-44-55',
      calledStationId: 'bras-1',
      acctDelayTime: 12,
      eventTimestamp: 1_763_780_000,
      acctSessionTime: 3600,
      inputOctets: 8589934715n,
      inputGigawords: 2,
      outputOctets: 42n,
      inputPackets: 1000n,
      outputPackets: 2000n,
      acctTerminateCause: 'User-Request',
    });
  });

  it('combines Gigawords and Octets into a bigint (RFC 2869 §5.1, §5.2)', () => {
    const view = read([
      { type: 42, value: hex('0000007b') },
      { type: 52, value: hex('00000002') },
      { type: 43, value: hex('ffffffff') },
      { type: 53, value: hex('ffffffff') },
    ]);
    expect(view.inputOctets).to.equal(8589934715n);
    expect(view.outputOctets).to.equal(2n ** 64n - 1n);
  });

  it('leaves counters undefined when Acct-*-Octets is absent, even with Gigawords', () => {
    const view = read([{ type: 40, value: hex('00000003') }, { type: 52, value: hex('00000002') }]);
    expect(view).to.deep.equal({ acctStatusType: 3 });
    expect(view).to.not.have.property('inputOctets');
  });

  it('reads Event-Timestamp as epoch seconds (RFC 2869 §5.3)', () => {
    expect(read([{ type: 55, value: hex('6920c1a0') }]).eventTimestamp).to.equal(0x6920c1a0);
  });

  it('names Acct-Terminate-Cause values, and keeps an unknown one as its number', () => {
    const cause = (value: string): string | undefined => read([{ type: 49, value: hex(value) }]).acctTerminateCause;
    expect(cause('00000001')).to.equal('User-Request');
    expect(cause('00000002')).to.equal('Lost-Carrier');
    expect(cause('0000000b')).to.equal('NAS-Reboot');
    expect(cause('00000016')).to.equal('Port-Disabled');
    expect(cause('000003e7')).to.equal('999');
  });

  it('names Acct-Status-Type values', () => {
    expect([1, 2, 3, 7, 8, 15, 9, 200].map(acctStatusTypeName)).to.deep.equal([
      'Start',
      'Stop',
      'Interim-Update',
      'Accounting-On',
      'Accounting-Off',
      'Failed',
      'Tunnel-Start',
      '200',
    ]);
    expect(acctStatusTypeName(0)).to.equal('0');
  });

  it('treats integers and addresses of the wrong size as absent', () => {
    const view = read([
      { type: 40, value: hex('000001') },
      { type: 5, value: hex('0000000001') },
      { type: 4, value: hex('c00002') },
      { type: 55, value: hex('') },
      { type: 44, value: Buffer.from('ok') },
    ]);
    expect(view).to.deep.equal({ acctSessionId: 'ok' });
  });

  it('takes the first of repeated attributes', () => {
    const view = read([
      { type: 44, value: Buffer.from('first') },
      { type: 44, value: Buffer.from('second') },
      { type: 40, value: hex('00000001') },
      { type: 40, value: hex('00000002') },
    ]);
    expect(view).to.deep.equal({ acctSessionId: 'first', acctStatusType: 1 });
  });

  describe('string values', () => {
    it('keeps a non-UTF-8 Acct-Session-Id as exact hex', () => {
      expect(read([{ type: 44, value: hex('fffe41') }]).acctSessionId).to.equal('hex:fffe41');
    });

    it('keeps UTF-8 text, including non-ASCII and a leading BOM', () => {
      expect(read([{ type: 1, value: Buffer.from('jürgen') }]).userName).to.equal('jürgen');
      expect(textBytes(textValue(hex('efbbbf41'))).toString('hex')).to.equal('efbbbf41');
    });

    it('hex-encodes NUL bytes and text that itself starts with hex:', () => {
      expect(textValue(hex('616200'))).to.equal('hex:616200');
      expect(textValue(Buffer.from('hex:41'))).to.equal('hex:6865783a3431');
    });

    it('round-trips any bytes through textValue and textBytes', () => {
      const samples = ['', '41', 'fffe41', '00', 'c3a9', 'c3', 'eda080', '6865783a', 'f09f9880', 'efbbbf'];
      for (const sample of samples) {
        expect(textBytes(textValue(hex(sample))).toString('hex'), sample).to.equal(sample);
      }
    });
  });
});
