import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.ts';
import { SETTINGS, type Setting, type SettingKey } from '../../src/config/settings.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { COLLECT_SETTINGS } from '../../src/config/collect-settings.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { BAD } from '../support/bad-settings.ts';

const KEYS = Object.keys(SETTINGS) as SettingKey[];

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings', () => {
  it('applies defaults and lets a flag win over the env var', () => {
    const s = loadSettings(['maxThreads', 'rateWindow', 'sink'], { maxThreads: '7' }, { MAX_THREADS: '9', RATE_WINDOW: '15m' });
    expect(s).toEqual({ maxThreads: 7, rateWindow: 900_000, sink: { kind: 'duckdb', path: './friendfleet.duckdb' } });
    expect(loadSettings(['rateWindow'], {}, { RATE_WINDOW: '900' }).rateWindow).toBe(900_000);
    expect(loadSettings(['partition'], {}, { PARTITION: '3/10' }).partition).toEqual({ partition: 3, partitions: 10 });
  });

  it.each(KEYS)('refuses an empty %s with one line naming the variable', (key) => {
    const env = SETTINGS[key].env;
    const e = configError(() => loadSettings([key], {}, { [env]: '' }));
    expect(e.variable).toBe(env);
    expect(e.message).toContain(env);
    expect(e.message).toContain('an empty value');
    expect(e.message).not.toContain('\n');
  });

  it.each(Object.entries(BAD))('refuses bad values of %s, saying what it expected', (key, values) => {
    const s = SETTINGS[key as SettingKey];
    for (const value of values) {
      const e = configError(() => loadSettings([key as SettingKey], {}, { [s.env]: value }));
      // A secret's value (a bearer token, a Redis URL with its password) never reaches a message.
      const shown = (s as Setting).secret ? '[redacted]' : JSON.stringify(value);
      expect(e.message).toBe(`${s.env} (flag --${s.env.toLowerCase().replaceAll('_', '-')}) must be ${s.parser.expected}; got ${shown}`);
      // (A value the expected form itself spells, such as `redis://`, is no secret.)
      if ((s as Setting).secret && !s.parser.expected.includes(value)) expect(e.message).not.toContain(value);
    }
  });

  it('names the flag when the bad value came from a flag', () => {
    const e = configError(() => loadSettings(['maxThreads'], { maxThreads: 'x' }, {}));
    expect(e.message).toBe('--max-threads (env MAX_THREADS) must be an integer from 1 to 100000; got "x"');
  });

  it('covers every collect setting in the bad-value table', () => {
    const free = new Set(['worker', 'minUserId', 'maxUserId', 'tier', 'rateLimitId']); // any non-empty text; checked as IDs against the source's ID kind
    for (const key of COLLECT_SETTINGS) if (!free.has(key)) expect(BAD[key], key).toBeDefined();
  });
});

describe('friendfleet collect with bad configuration', () => {
  const dir = tempDir();
  // A source that needs nothing more, so that each case is refused for its own variable.
  const sim = { SOURCE: 'twitter-html', SOURCE_URL: 'http://127.0.0.1:9' };

  it.each([
    // Issue 15: SOURCE had a default whose service is gone (the legacy site): it is required now, and
    // twitter-html, which only the sim serves, needs SOURCE_URL.
    [{ USERS: 'users.csv' }, 'SOURCE'],
    [{ USERS: 'users.csv', SOURCE: 'twitter-html' }, 'SOURCE_URL'],
    [{ ...sim, USERS: 'users.csv', MAX_THREADS: 'lots' }, 'MAX_THREADS'],
    [{ ...sim, USERS: 'users.csv', RATE_WINDOW: '' }, 'RATE_WINDOW'],
    [{ ...sim, USERS: 'users.csv', PARTITION: '4' }, 'PARTITIONS'],
    [{ ...sim, MAX_THREADS: '10' }, 'USERS'],
    [{ USERS: 'users.csv', SOURCE: 'bsky' }, 'SOURCE'],
    [{ USERS: 'users.csv', SOURCE: 'twitter-api' }, 'TWITTER_BEARER_TOKEN'],
    [{ USERS: 'users.csv', SOURCE: 'twitter-api', TWITTER_BEARER_TOKEN: 'tok-1', TWITTER_BEARER_TOKENS: 'tok-2,tok-3' }, 'TWITTER_BEARER_TOKENS'],
    [{ USERS: 'users.csv', SOURCE: 'twitter-api', TWITTER_BEARER_TOKENS: 'sekrit-token-1,sekrit-token-1' }, 'TWITTER_BEARER_TOKENS'],
    [{ ...sim, USERS: 'users.csv', MIN_USER_ID: 'abc', MAX_USER_ID: '5' }, 'MIN_USER_ID'],
    [{ ...sim, USERS: 'users.csv', MIN_USER_ID: '9', MAX_USER_ID: '5' }, 'MIN_USER_ID'],
    [{ ...sim, USERS: 'users.csv', RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:1' }, 'RATE_LIMIT'],
    [{ ...sim, USERS: 'users.csv', RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT: '60' }, 'RATE_LIMIT_WORKERS'],
    [{ ...sim, USERS: 'users.csv', REQUEST_TIMEOUT: '90s' }, 'MAX_RESPONSE_TIME'],
    [{ ...sim, USERS: 'users.csv', SINK: 'host:http://127.0.0.1:9' }, 'HOST_SECRET'],
  ])('stops before any work with exit code 2: %o', async (env, variable) => {
    const r = await runCli(['collect'], env, { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^friendfleet: .*${variable}\\b`));
    expect(r.stderr).not.toMatch(/sekrit|tok-\d/);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(`${dir}/friendfleet.duckdb`)).toBe(false);
  });

  it('refuses a missing users file before opening the warehouse', async () => {
    const r = await runCli(['collect', '--users', 'missing.csv'], sim, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('friendfleet: users file missing.csv does not exist');
    expect(readdirSync(dir)).toEqual([]);
  });
});
