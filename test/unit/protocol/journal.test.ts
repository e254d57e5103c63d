import { expect } from 'chai';
import { journalAttributes } from '../../../src/protocol/attributes.ts';
import { decodePacket } from '../../../src/protocol/decode.ts';
import { accountingRequest, packetWithAttributes } from '../../helpers/packets.ts';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('protocol/journal', () => {
  it('names known attributes and converts values to JSON-safe forms', () => {
    const result = decodePacket(
      accountingRequest(
        {
          statusType: 'Stop',
          sessionId: 's1',
          userName: 'alice',
          nasIp: '192.0.2.1',
          eventTimestamp: 1_700_000_000,
          inputOctets: 8589934715n,
          terminateCause: 'Lost-Carrier',
          proxyState: [hex('0102')],
        },
        'secret',
      ),
    );
    if (!result.ok) throw new Error(result.message);
    const journal = journalAttributes(result.packet);
    expect(journal).to.deep.equal({
      'Acct-Status-Type': 'Stop',
      'Acct-Session-Id': 's1',
      'User-Name': 'alice',
      'NAS-IP-Address': '192.0.2.1',
      'Event-Timestamp': '2023-11-14T22:13:20.000Z',
      'Acct-Terminate-Cause': 'Lost-Carrier',
      'Acct-Input-Octets': 123,
      'Acct-Input-Gigawords': 2,
      'Proxy-State': '0x0102',
    });
    expect(JSON.parse(JSON.stringify(journal))).to.deep.equal(journal);
  });

  it('keeps an unknown attribute raw', () => {
    expect(journalAttributes(packetWithAttributes([{ type: 200, value: hex('cafe') }]))).to.deep.equal({
      'Attr-200': { type: 200, hex: 'cafe' },
    });
  });

  it('keeps a Vendor-Specific raw, with its Vendor-Id', () => {
    const vsa = hex('00003a8c0106676f6c64'); // Mikrotik (14988), sub-attribute 1 = "gold"
    expect(journalAttributes(packetWithAttributes([{ type: 26, value: vsa }]))).to.deep.equal({
      'Vendor-Specific': { type: 26, hex: '00003a8c0106676f6c64', vendorId: 14988 },
    });
  });

  it('turns repeated attributes into arrays in packet order', () => {
    const journal = journalAttributes(
      packetWithAttributes([
        { type: 33, value: hex('01') },
        { type: 44, value: Buffer.from('x') },
        { type: 33, value: hex('02') },
        { type: 200, value: hex('aa') },
        { type: 200, value: hex('bb') },
      ]),
    );
    expect(journal).to.deep.equal({
      'Proxy-State': ['0x01', '0x02'],
      'Acct-Session-Id': 'x',
      'Attr-200': [
        { type: 200, hex: 'aa' },
        { type: 200, hex: 'bb' },
      ],
    });
  });

  it('never includes User-Password', () => {
    const journal = journalAttributes(packetWithAttributes([{ type: 2, value: Buffer.alloc(16, 7) }, { type: 1, value: Buffer.from('bob') }]));
    expect(journal).to.deep.equal({ 'User-Name': 'bob' });
  });

  it('keeps exact bytes of non-UTF-8 text', () => {
    expect(journalAttributes(packetWithAttributes([{ type: 44, value: hex('fffe41') }]))).to.deep.equal({
      'Acct-Session-Id': 'hex:fffe41',
    });
  });

  it('keeps an undecodable attribute raw and still names the others', () => {
    const journal = journalAttributes(
      packetWithAttributes([
        { type: 40, value: hex('000001') },
        { type: 44, value: Buffer.from('s1') },
      ]),
    );
    expect(journal).to.deep.equal({
      'Acct-Status-Type': { type: 40, hex: '000001' },
      'Acct-Session-Id': 's1',
    });
  });

  it('journals a tagged attribute with its tag (RFC 2868 §3)', () => {
    const journal = journalAttributes(packetWithAttributes([{ type: 64, value: hex('0100000d') }]));
    expect(journal).to.deep.equal({ 'Tunnel-Type': { tag: 1, value: 'VLAN' } });
  });
});
