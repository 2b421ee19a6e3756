import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { DEFAULT_CONNECTION, NAME, PROJECT_ID, type ServiceAccountKey } from '../sinks/bigquery/connection.ts';
import type { SinkUri } from '../sinks/registry.ts';
import type { UsersLocation } from '../users/staged-table.ts';

/**
 * Value parsers for settings. Each is a zod schema from the raw string (env vars and flags are both
 * strings) to a typed value, with one human sentence saying what it expects. Empty strings are
 * rejected: `MAX_THREADS=` on a dyno is a mistake, not a request for the default.
 */
export interface ValueParser<T> {
  readonly schema: z.ZodType<T, string>;
  /** What a valid value looks like, e.g. "an integer from 1 to 100000". */
  readonly expected: string;
}

function parser<T>(expected: string, schema: z.ZodType<T, string>): ValueParser<T> {
  return { expected, schema };
}

export function integer(min: number, max: number): ValueParser<number> {
  return parser(
    `an integer from ${min} to ${max}`,
    z
      .string()
      .regex(/^\s*[0-9]+\s*$/)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  );
}

export function fraction(): ValueParser<number> {
  return parser(
    'a number from 0 to 1',
    z
      .string()
      .regex(/^\s*[0-9]*\.?[0-9]+\s*$/)
      .transform(Number)
      .pipe(z.number().min(0).max(1)),
  );
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "900" (seconds), "900s", "15m", "250ms", "1h", "1d" → milliseconds. */
export function duration(minMs: number, maxMs: number): ValueParser<number> {
  const describe = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return parser(
    `a duration from ${describe(minMs)} to ${describe(maxMs)}, such as 900, 900s, 15m or 250ms (a bare number is seconds)`,
    z
      .string()
      .regex(/^\s*[0-9]*\.?[0-9]+\s*(ms|s|m|h|d)?\s*$/)
      .transform((s) => {
        const m = /^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h|d)?\s*$/.exec(s)!;
        return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
      })
      .pipe(z.number().min(minMs).max(maxMs)),
  );
}

export function oneOf<const T extends string>(values: readonly T[]): ValueParser<T> {
  return parser(
    `one of ${values.join(', ')}`,
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.enum(values as [T, ...T[]])),
  );
}

/** true/false (also yes/no, 1/0). */
export function boolean(): ValueParser<boolean> {
  return parser(
    'true or false',
    z
      .string()
      .transform((s) => s.trim().toLowerCase())
      .pipe(z.enum(['true', 'false', 'yes', 'no', '1', '0']))
      .transform((s) => s === 'true' || s === 'yes' || s === '1'),
  );
}

export function nonEmpty(what: string): ValueParser<string> {
  return parser(
    what,
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().min(1)),
  );
}

/** A URL that is no secret: credentials in it would be logged and stored with the run's settings. */
export function httpUrl(): ValueParser<string> {
  return parser(
    'an http(s) URL without credentials, such as https://public.api.bsky.app',
    z
      .string()
      .transform((s) => s.trim().replace(/\/+$/, ''))
      .pipe(z.url({ protocol: /^https?$/ }))
      .refine((s) => {
        const url = URL.parse(s);
        return url !== null && url.username === '' && url.password === '';
      }),
  );
}

/** `PARTITION`: "3" (with PARTITIONS) or "3/10". */
export function partitionSpec(): ValueParser<{ partition: number; partitions: number | undefined }> {
  return parser(
    'a bucket number such as 3 (with PARTITIONS) or 3/10',
    z
      .string()
      .regex(/^\s*[0-9]{1,6}\s*(\/\s*[0-9]{1,6}\s*)?$/)
      .transform((s) => {
        const [p, n] = s.split('/').map((x) => Number(x.trim()));
        return { partition: p!, partitions: n };
      })
      .refine((v) => v.partition >= 1 && (v.partitions === undefined || (v.partitions >= 1 && v.partition <= v.partitions))),
  );
}

/** `PROJECT.DATASET` or `PROJECT.DATASET.TABLE` of a `bigquery:` value, checked as identifiers. */
function bigQueryParts(s: string, parts: 2 | 3): string[] | undefined {
  const names = s.slice('bigquery:'.length).split('.');
  if (names.length !== parts || !PROJECT_ID.test(names[0]!) || !names.slice(1).every((n) => NAME.test(n))) return undefined;
  return names;
}

/** `USERS`: a file path, `duckdb:PATH#TABLE`, or `bigquery:PROJECT.DATASET.TABLE`. */
export function usersLocation(): ValueParser<UsersLocation> {
  return parser(
    'a .csv/.ndjson file path, duckdb:PATH#TABLE, or bigquery:PROJECT.DATASET.TABLE',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().min(1))
      .refine((s) => !s.startsWith('duckdb:') || /^duckdb:.+#[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(s))
      .refine((s) => !s.startsWith('bigquery:') || bigQueryParts(s, 3) !== undefined)
      .transform((s): UsersLocation => {
        if (s.startsWith('bigquery:')) {
          const [project, dataset, table] = bigQueryParts(s, 3)!;
          return { kind: 'bigquery', table: { project: project!, dataset: dataset!, table: table! }, connection: DEFAULT_CONNECTION };
        }
        if (!s.startsWith('duckdb:')) return { kind: 'file', path: s };
        const hash = s.lastIndexOf('#');
        return { kind: 'duckdb', path: s.slice('duckdb:'.length, hash), table: s.slice(hash + 1) };
      }),
  );
}

/** `RATE_LIMIT_REDIS_URL`: redis:// or rediss:// (TLS), as Heroku Redis and most hosts give it. */
export function redisUrl(): ValueParser<string> {
  return parser(
    'a redis://[:password@]host:port URL',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/^rediss?:\/\/[^\s]+$/)),
  );
}

/** `USERS_QUERY`: a GoogleSQL query whose rows are the users (user_id, screen_name, friends_count). */
export function usersQuery(): ValueParser<string> {
  return parser(
    'a GoogleSQL SELECT (or WITH ...) query returning user_id and optionally screen_name and friends_count',
    z
      .string()
      .transform((s) => s.trim().replace(/;$/, ''))
      .pipe(z.string().regex(/^(SELECT|WITH)\s/i)),
  );
}

/** `GOOGLE_CREDENTIALS`: a service account's key file contents (JSON text), the Heroku way. */
export function serviceAccountKey(): ValueParser<ServiceAccountKey> {
  return parser('the JSON text of a service-account key file (with type "service_account", client_email and private_key)', z.string().transform(parseJson).pipe(SERVICE_ACCOUNT_KEY));
}

const SERVICE_ACCOUNT_KEY = z.looseObject({
  type: z.literal('service_account'),
  client_email: z.string().min(3),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
  project_id: z.string().optional(),
});

function parseJson(s: string, ctx: z.RefinementCtx<string>): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
}

/**
 * A key file's contents: a service account's key (used as GOOGLE_CREDENTIALS is), or undefined for
 * another kind of credentials file (left to google-auth-library). Throws with a message that never
 * quotes the file.
 */
export function keyFileContents(text: string): ServiceAccountKey | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError('GOOGLE_APPLICATION_CREDENTIALS', 'it is not JSON');
  }
  if ((value as { type?: unknown })?.type !== 'service_account') return undefined;
  const key = SERVICE_ACCOUNT_KEY.safeParse(value);
  if (!key.success) throw new ConfigError('GOOGLE_APPLICATION_CREDENTIALS', 'it is a service-account key without client_email or private_key');
  return key.data;
}

/** `BIGQUERY_LOCATION`: a BigQuery location such as US, EU or europe-west1. */
export function bigQueryLocation(): ValueParser<string> {
  return parser(
    'a BigQuery location such as US, EU or europe-west1',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/^[A-Za-z]+(-[a-z]+[0-9]*)?$/)),
  );
}

/** `GOOGLE_APPLICATION_CREDENTIALS`: a key file. */
export function jsonPath(): ValueParser<string> {
  return parser(
    'a path to a .json key file',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/[^/\\]\.json$/i)),
  );
}

/** `DEAD_LETTER_FILE`: where refused rows go, as NDJSON. */
export function ndjsonPath(): ValueParser<string> {
  return parser(
    'a file path ending in .ndjson or .jsonl',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/[^/\\]\.(ndjson|jsonl)$/)),
  );
}

/** Heroku's `DYNO`: process type and index, such as worker.3. */
export function dynoName(): ValueParser<string> {
  return parser(
    'a Heroku dyno name such as worker.3',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/^[A-Za-z0-9_-]+\.[0-9]+$/)),
  );
}

/** `SINK`: duckdb:PATH (the embedded warehouse), host:URL (a fleet's warehouse host) or bigquery:PROJECT.DATASET. */
export function sinkUri(): ValueParser<SinkUri> {
  return parser(
    'duckdb:PATH (such as duckdb:./friendfleet.duckdb), host:http://HOST:PORT or bigquery:PROJECT.DATASET',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/^(duckdb:.+|host:https?:\/\/[^\s/]+\/?|bigquery:.+)$/))
      .refine((s) => !s.startsWith('bigquery:') || bigQueryParts(s, 2) !== undefined)
      .transform((s): SinkUri => {
        if (s.startsWith('duckdb:')) return { kind: 'duckdb', path: s.slice('duckdb:'.length) };
        if (s.startsWith('bigquery:')) {
          const [project, dataset] = bigQueryParts(s, 2)!;
          return { kind: 'bigquery', project: project!, dataset: dataset!, connection: DEFAULT_CONNECTION };
        }
        return { kind: 'host', url: s.slice('host:'.length).replace(/\/$/, '') };
      }),
  );
}

export function logLevel(): ValueParser<string> {
  return oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
}

const TOKEN = /^[\x21-\x2b\x2d-\x7e]+$/;

/** A credential such as a bearer token: printable ASCII, no spaces or commas. Never echoed (secret). */
export function token(what: string): ValueParser<string> {
  return parser(
    `${what} (printable characters, no spaces or commas)`,
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(TOKEN)),
  );
}

/** A shared secret: printable ASCII without spaces or commas, at least `minLength` long. Never echoed (secret). */
export function secret(minLength: number, what: string): ValueParser<string> {
  return parser(
    `${what} of at least ${minLength} printable characters (no spaces or commas)`,
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().min(minLength).regex(TOKEN)),
  );
}

/** `HOST_LISTEN`: host:port, such as 127.0.0.1:0 (a free port), 0.0.0.0:8800 or [::1]:8800. */
export function listenAddress(): ValueParser<{ host: string; port: number }> {
  return parser(
    'host:port, such as 127.0.0.1:0 (0: a free port), 0.0.0.0:8800 or [::1]:8800',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/))
      .transform((s) => {
        const colon = s.lastIndexOf(':');
        return { host: s.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(s.slice(colon + 1)) };
      })
      .refine((v) => v.port <= 65_535),
  );
}

/** Several credentials, comma-separated, each its own budget: none empty, none twice. */
export function tokenList(what: string): ValueParser<string[]> {
  return parser(
    `a comma-separated list of ${what} (no spaces inside one, none empty, none twice)`,
    z
      .string()
      .transform((s) => s.split(',').map((t) => t.trim()))
      .refine((list) => list.every((t) => TOKEN.test(t)) && new Set(list).size === list.length),
  );
}
