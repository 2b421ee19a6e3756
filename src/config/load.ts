import { ConfigError } from '../core/errors.ts';
import { keepSecret } from '../core/secrets.ts';
import type { ValueParser } from './parsers.ts';
import { flagOf, optionKeyOf, SETTINGS, type Setting, type SettingKey, type SettingValue } from './settings.ts';

export type Settings<K extends SettingKey> = { [P in K]: SettingValue<P> | undefined };

/**
 * Reads the given settings from flags (which win) and env vars, validating each once. The first bad
 * value throws a ConfigError whose message is one line naming the variable, the flag, what it
 * expected and what it got.
 */
export function loadSettings<K extends SettingKey>(keys: readonly K[], flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Settings<K> {
  const out = {} as Record<string, unknown>;
  for (const key of keys) {
    const s = SETTINGS[key] as Setting;
    const flagValue = flags[optionKeyOf(s)];
    const fromFlag = flagValue !== undefined;
    const raw = fromFlag ? String(flagValue) : env[s.env];
    if (raw === undefined) {
      out[key] = s.default === undefined ? undefined : s.parser.schema.parse(s.default);
      continue;
    }
    const where = fromFlag ? `${flagOf(s)} (env ${s.env})` : `${s.env} (flag ${flagOf(s)})`;
    out[key] = parseValue(s.env, where, s.parser, raw, s.secret);
    if (s.secret) keepSecret(out[key]);
  }
  return out as Settings<K>;
}

/** Parses one raw value or throws a one-line ConfigError naming `where` and what was expected. */
export function parseValue<T>(variable: string, where: string, parser: ValueParser<T>, raw: string, secret = false): T {
  const result = parser.schema.safeParse(raw);
  if (result.success) return result.data;
  const shown = secret ? '[redacted]' : JSON.stringify(raw);
  throw new ConfigError(variable, `${where} must be ${parser.expected}; got ${raw.trim() === '' ? 'an empty value' : shown}`);
}

/** The settings as JSON text for the runs table and the start-up log, secrets removed. */
export function describeSettings(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const s = (SETTINGS as Record<string, Setting>)[key];
    out[key] = s?.secret && value !== undefined ? '[redacted]' : value;
  }
  return out;
}
