import { expect } from 'chai';
import { Writable } from 'node:stream';
import { describeError, EXIT_FAILURE, EXIT_REFUSED, redact, RefusedError, secretsOfUrl } from '../../../src/cli/errors.ts';
import { csvField, formatTime, printObject, printRows, showBytes, showDuration, toJson, type Format } from '../../../src/cli/output.ts';

function capture(fn: (out: NodeJS.WritableStream) => void): string {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  fn(out);
  return text;
}

interface Row {
  id: bigint;
  name: string | null;
  at: Date;
  flags: string[];
}

const rows: Row[] = [
  { id: 2n ** 63n - 1n, name: 'a, "quoted"\nname', at: new Date('2026-11-20T10:00:00Z'), flags: ['x', 'y'] },
  { id: 7n, name: null, at: new Date('2026-11-20T10:00:00.5Z'), flags: [] },
];

const print = (format: Format, tz?: string) => capture((out) => printRows(rows, ['id', 'name', 'at', 'flags'], format, { out, tz }));

describe('cli output', () => {
  it('json: one document, bigint as bare integers, times in UTC with Z', () => {
    const text = print('json', 'Europe/Berlin');
    expect(text).to.contain('"id": 9223372036854775807');
    expect(text).to.contain('"at": "2026-11-20T10:00:00Z"');
    expect(text).to.contain('"at": "2026-11-20T10:00:00.500Z"');
    const parsed = JSON.parse(text) as Record<string, unknown>[];
    expect(parsed[1]).to.deep.equal({ id: 7, name: null, at: '2026-11-20T10:00:00.500Z', flags: [] });
  });

  it('toJson matches JSON.stringify on plain values and leaves out undefined fields', () => {
    const value = { a: 1, b: 'two', c: [true, null, { d: -1.5 }], e: undefined, f: {} };
    expect(JSON.parse(toJson(value))).to.deep.equal(JSON.parse(JSON.stringify(value)));
    expect(toJson({ n: 12345678901234567890n }, false)).to.equal('{"n":12345678901234567890}');
  });

  it('csv: header row and RFC 4180 quoting', () => {
    const lines = print('csv').split('\n');
    expect(lines[0]).to.equal('id,name,at,flags');
    expect(print('csv')).to.contain('9223372036854775807,"a, ""quoted""\nname",2026-11-20T10:00:00Z,"x,y"\n');
    expect(print('csv')).to.contain('\n7,,2026-11-20T10:00:00.500Z,\n');
    expect(csvField('plain')).to.equal('plain');
  });

  it('table: aligned columns, numbers right-aligned, empty cells as -, times in --tz', () => {
    const t = capture((out) => printRows([{ n: 5n, s: 'long text' }, { n: 12345n, s: null }], ['n', 's'], 'table', { out }));
    expect(t).to.equal('    n  s\n    5  long text\n12345  -\n');
    expect(print('table', 'Europe/Berlin')).to.contain('2026-11-20T11:00:00+01:00');
    expect(capture((out) => printRows([], ['n'], 'table', { out, empty: 'no rows here' }))).to.equal('no rows here\n');
  });

  it('objects in each format', () => {
    const obj = { count: 3n, at: new Date('2026-11-20T10:00:00Z') };
    expect(JSON.parse(capture((out) => printObject(obj, 'json', { out })))).to.deep.equal({ count: 3, at: '2026-11-20T10:00:00Z' });
    expect(capture((out) => printObject(obj, 'csv', { out }))).to.equal('count,at\n3,2026-11-20T10:00:00Z\n');
    expect(capture((out) => printObject(obj, 'table', { out }))).to.equal('count  3\nat     2026-11-20T10:00:00Z\n');
  });

  it('human cells and zones', () => {
    expect(showDuration(3725n)).to.equal('1:02:05');
    expect(showDuration(90061)).to.equal('1d 1:01:01');
    expect(showBytes(999n)).to.equal('999 B');
    expect(showBytes(1_234_567_890n)).to.equal('1.23 GB');
    expect(formatTime(new Date('2026-07-01T00:00:00Z'), 'America/New_York')).to.equal('2026-06-30T20:00:00-04:00');
  });

  it('errors: one line, exit code, and no password from the database URL', () => {
    expect(describeError(new RefusedError('no'), false)).to.deep.equal({ line: 'radtrack: no', exitCode: EXIT_REFUSED });
    const internal = describeError(new Error('boom'), false);
    expect(internal.exitCode).to.equal(EXIT_FAILURE);
    expect(internal.line).to.not.contain('\n');
    const url = 'postgres://bob:hunter2@db.example:5432/radtrack';
    const line = redact(`database: cannot use ${url}: password hunter2 rejected`, secretsOfUrl(url));
    expect(line).to.not.contain('hunter2');
  });
});
