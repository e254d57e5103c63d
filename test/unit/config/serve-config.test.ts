// serve's --metrics and --log-format: flags, then RADTRACK_METRICS / RADTRACK_LOG_FORMAT, then defaults.
import { expect } from 'chai';
import { ConfigError, loadServeConfig, parseHttpAddress } from '../../../src/config/config.ts';

const thrown = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof ConfigError ? err.message : `not a ConfigError: ${String(err)}`;
  }
};

describe('config: --metrics and --log-format', () => {
  it('metrics are off and logs are text unless asked for', () => {
    const c = loadServeConfig({}, {});
    expect({ metrics: c.metrics, logFormat: c.logFormat }).to.deep.equal({ metrics: null, logFormat: 'text' });
  });

  it('flags win over the environment', () => {
    const env = { RADTRACK_METRICS: '0.0.0.0:9100', RADTRACK_LOG_FORMAT: 'text' };
    const byEnv = loadServeConfig({}, env);
    const byFlag = loadServeConfig({ metrics: '127.0.0.1:9813', logFormat: 'json' }, env);
    expect([byEnv, byFlag].map((c) => ({ metrics: c.metrics, logFormat: c.logFormat }))).to.deep.equal([
      { metrics: { host: '0.0.0.0', port: 9100 }, logFormat: 'text' },
      { metrics: { host: '127.0.0.1', port: 9813 }, logFormat: 'json' },
    ]);
  });

  it('HOST:PORT, [IPv6]:PORT, or a bare port on loopback', () => {
    expect(['192.0.2.1:9813', '[::1]:9813', '9813', ':9813'].map((v) => parseHttpAddress(v, '--metrics'))).to.deep.equal([
      { host: '192.0.2.1', port: 9813 },
      { host: '::1', port: 9813 },
      { host: '127.0.0.1', port: 9813 },
      { host: '127.0.0.1', port: 9813 },
    ]);
  });

  it('refuses what is not an address, a port out of range, and an unknown log format, naming the setting', () => {
    expect([
      thrown(() => parseHttpAddress('localhost:9813', '--metrics')),
      thrown(() => parseHttpAddress('127.0.0.1:70000', '--metrics')),
      thrown(() => loadServeConfig({}, { RADTRACK_LOG_FORMAT: 'yaml' })),
    ]).to.deep.equal([
      '--metrics: "localhost:9813" is not HOST:PORT; use an IP address and a port, like 127.0.0.1:9813 or [::1]:9813',
      '--metrics: "70000" is not a whole number in 0-65535',
      '--log-format / RADTRACK_LOG_FORMAT: "yaml" is not a log format; use text or json',
    ]);
  });
});
