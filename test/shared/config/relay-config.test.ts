import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../shared/config/config-error.js';
import { parseRelays } from '../../../shared/config/relay-config.js';

function failure(env: NodeJS.ProcessEnv): string {
  try {
    parseRelays(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('no error');
}

describe('parseRelays', () => {
  it('reads SMTP_URL as one relay with its credentials decoded', () => {
    const [relay] = parseRelays({ SMTP_URL: 'smtp://user%40example.com:p%40ss@relay.test:587' });

    expect(relay).toMatchObject({
      name: 'relay.test:587', host: 'relay.test', port: 587, secure: false,
      user: 'user@example.com', pass: 'p@ss', priority: 0, maxPerSecond: 0,
    });
  });

  it('reads a list with settings per relay, in order', () => {
    const relays = parseRelays({
      SMTP_RELAYS: 'smtp://a:b@one.test:587?name=primary&max_connections=4, '
        + 'smtps://c:d@two.test?name=backup&priority=5&max_per_second=10',
    });

    expect(relays.map((r) => [r.name, r.port, r.secure, r.priority, r.maxConnections,
      r.maxPerSecond])).toEqual([
      ['primary', 587, false, 0, 4, 0],
      ['backup', 465, true, 5, 8, 10],
    ]);
  });

  it.each([
    [{ SMTP_URL: 'smtp://a@x.test', SMTP_RELAYS: 'smtp://b@y.test' }, /^SMTP_RELAYS cannot be/],
    [{ SMTP_RELAYS: 'http://relay.test' }, /^SMTP_RELAYS must start with smtp:\/\//],
    [{ SMTP_RELAYS: 'smtp://u:%ZZ@relay.test' }, /^SMTP_RELAYS has a password with a broken/],
    [{ SMTP_RELAYS: 'smtp://relay.test?priority=-1' }, /^SMTP_RELAYS has priority=-1; .* from 0/],
    [{ SMTP_RELAYS: 'smtp://relay.test?max_connections=0' }, /max_connections=0; .* from 1/],
    [{ SMTP_RELAYS: 'smtp://a.test?name=x smtp://b.test?name=x' }, /names two relays "x"/],
    [{ SMTP_RELAYS: ' , , ' }, /^SMTP_RELAYS lists no relay URL/],
    [{ SMTP_RELAYS: 'smtp://relay.test:0' }, /^SMTP_RELAYS names port 0/],
    [{ SMTP_RELAYS: 'smtp://relay.test?max_conections=4' }, /unknown setting "max_conections"/],
    [{ SMTP_RELAYS: 'smtp://relay.test?name=' }, /^SMTP_RELAYS has an empty name/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(failure(env)).toMatch(message);
  });

  it('never repeats a password in an error', () => {
    expect(failure({ SMTP_RELAYS: 'smtp://u:s3cret%ZZ@relay.test' })).not.toContain('s3cret');
  });
});
