// --log-format: text lines for people, one JSON object per line for log shippers; secrets never written.
import { expect } from 'chai';
import { makeStderrLogger, type StderrLoggerOptions } from '../../src/log.ts';

function capture(opts: StderrLoggerOptions): { lines: string[]; log: ReturnType<typeof makeStderrLogger> } {
  const lines: string[] = [];
  return { lines, log: makeStderrLogger({ ...opts, write: (l) => lines.push(l) }) };
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('log: formats', () => {
  it('json: time, level, component (the message prefix), msg and the fields, one object per line', () => {
    const { lines, log } = capture({ format: 'json' });
    log.info('metrics: serving http://127.0.0.1:9813/metrics', { metrics_port: 9813, tls: false });
    log.warn('no component here\nsecond line');
    expect(lines.map((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).to.deep.equal([true, true]);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a!.time).to.match(TIME);
    expect({ ...a, time: 'T' }).to.deep.equal({ time: 'T', level: 'info', component: 'metrics', msg: 'metrics: serving http://127.0.0.1:9813/metrics', metrics_port: 9813, tls: false });
    expect({ ...b, time: 'T' }).to.deep.equal({ time: 'T', level: 'warn', msg: 'no component here\nsecond line' });
  });

  it('json: a field cannot replace time, level, component or msg', () => {
    const { lines, log } = capture({ format: 'json' });
    log.error('serve: x', { level: 'debug', msg: 'other', component: 'c', time: 'then', nas: '192.0.2.1' });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect({ ...line, time: 'T' }).to.deep.equal({ time: 'T', level: 'error', component: 'serve', msg: 'serve: x', nas: '192.0.2.1' });
  });

  it('text: time, level, message, then key=value (quoted when needed); debug only with debug', () => {
    const { lines, log } = capture({ format: 'text' });
    log.info('serve: stopped', { accepted: 3, name: 'bras 1', ok: true });
    log.debug('not shown');
    expect(lines.map((l) => l.replace(/^\S+ /, 'T '))).to.deep.equal(['T info serve: stopped accepted=3 name="bras 1" ok=true\n']);
    const verbose = capture({ debug: true });
    verbose.log.debug('udp: shown');
    expect(verbose.lines.map((l) => l.replace(/^\S+ /, 'T '))).to.deep.equal(['T debug udp: shown\n']);
  });

  it('given secrets are replaced by *** in messages and fields, in both formats, even ones json would escape', () => {
    const secret = 'pa"ss\\word';
    for (const format of ['text', 'json'] as const) {
      const { lines, log } = capture({ format, secrets: [secret, ''] });
      log.error(`database: password authentication failed for ${secret}`, { url: `postgres://u:${secret}@h/db` });
      const text = format === 'json' ? (JSON.parse(lines[0]!) as { msg: string; url: string }) : lines[0]!;
      expect(JSON.stringify(text)).to.not.include('pa\\"ss').and.not.include('pa"ss');
      if (typeof text !== 'string') expect({ msg: text.msg, url: text.url }).to.deep.equal({ msg: 'database: password authentication failed for ***', url: 'postgres://u:***@h/db' });
    }
  });
});
