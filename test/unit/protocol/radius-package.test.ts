// Cross-checks radtrack's encoder and signatures against the `radius` npm package, an independent
// implementation, wherever the package is right (docs/stack-notes.md §5 lists where it is not).
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import radius from 'radius';
import { encodeAccountingResponse } from '../../../src/protocol/encode.ts';
import { decodePacket, type RadiusPacket } from '../../../src/protocol/decode.ts';
import { SECRET } from '../../helpers/fixtures.ts';
import { accountingRequest, statusServer, type AcctRequestSpec } from '../../helpers/packets.ts';

const KEY = Buffer.from(SECRET);

const STOP: AcctRequestSpec = {
  statusType: 'Stop',
  sessionId: 'sess-77',
  userName: 'bob',
  nasIp: '198.51.100.9',
  nasPort: 3,
  framedIp: '100.64.1.2',
  eventTimestamp: 1_700_000_000,
  sessionTime: 600,
  inputOctets: 8589934715n,
  outputOctets: 99,
  terminateCause: 'Idle-Timeout',
  proxyState: [Buffer.from('hop-1'), Buffer.from('hop-2')],
  identifier: 200,
};

function decoded(bytes: Buffer): RadiusPacket {
  const result = decodePacket(bytes);
  if (!result.ok) throw new Error(result.message);
  return result.packet;
}

describe('protocol: cross-check with the radius package', () => {
  it('the package verifies and decodes our signed Accounting-Request', () => {
    const lib = radius.decode({ packet: accountingRequest(STOP, SECRET), secret: SECRET });
    expect(lib.code).to.equal('Accounting-Request');
    expect(lib.identifier).to.equal(200);
    expect(lib.attributes).to.include({
      'Acct-Status-Type': 'Stop',
      'Acct-Session-Id': 'sess-77',
      'User-Name': 'bob',
      'NAS-IP-Address': '198.51.100.9',
      'NAS-Port': 3,
      'Framed-IP-Address': '100.64.1.2',
      'Acct-Session-Time': 600,
      'Acct-Input-Octets': 123,
      'Acct-Input-Gigawords': 2,
      'Acct-Output-Octets': 99,
      'Acct-Terminate-Cause': 'Idle-Timeout',
    });
    expect(() => radius.decode({ packet: accountingRequest(STOP, SECRET), secret: 'wrong' })).to.throw(
      radius.InvalidSecretError,
    );
  });

  it('our Accounting-Response equals the package’s encode_response, byte for byte', () => {
    const request = accountingRequest(STOP, SECRET);
    const ours = encodeAccountingResponse(decoded(request), KEY);
    const theirs = radius.encode_response({
      packet: radius.decode({ packet: request, secret: SECRET }),
      code: 'Accounting-Response',
      secret: SECRET,
    });
    expect(ours.toString('hex')).to.equal(theirs.toString('hex'));
    expect(radius.verify_response({ request, response: ours, secret: SECRET })).to.equal(true);
  });

  it('the package verifies our Status-Server and our response to it', () => {
    const request = statusServer(SECRET, 5);
    expect(radius.decode({ packet: request, secret: SECRET }).code).to.equal('Status-Server');
    const ours = encodeAccountingResponse(decoded(request), KEY);
    expect(radius.verify_response({ request, response: ours, secret: SECRET })).to.equal(true);
    const theirs = radius.encode_response({
      packet: radius.decode({ packet: request, secret: SECRET }),
      code: 'Accounting-Response',
      secret: SECRET,
    });
    expect(ours.toString('hex')).to.equal(theirs.toString('hex'));
  });

  it('differs on purpose: the package rejects radclient’s Accounting-Request with a Message-Authenticator', () => {
    // The package takes the HMAC over the Request Authenticator as sent; FreeRADIUS (and radtrack)
    // zero it first. See authenticator.ts and authenticator.test.ts, which accepts this packet.
    const fixtures = JSON.parse(
      readFileSync(new URL('../../fixtures/protocol/radclient-captures.json', import.meta.url), 'utf8'),
    ) as { secret: string; accountingRequestWithMessageAuthenticator: { hex: string } };
    const packet = Buffer.from(fixtures.accountingRequestWithMessageAuthenticator.hex, 'hex');
    expect(() => radius.decode({ packet, secret: fixtures.secret })).to.throw(radius.InvalidSecretError);
  });
});
