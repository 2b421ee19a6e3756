import { z } from 'zod';
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
  return parser(`one of ${values.join(', ')}`, z.string().transform((s) => s.trim()).pipe(z.enum(values as [T, ...T[]])));
}

export function nonEmpty(what: string): ValueParser<string> {
  return parser(what, z.string().transform((s) => s.trim()).pipe(z.string().min(1)));
}

export function httpUrl(): ValueParser<string> {
  return parser(
    'an http(s) URL such as https://mobile.twitter.com',
    z
      .string()
      .transform((s) => s.trim().replace(/\/+$/, ''))
      .pipe(z.url({ protocol: /^https?$/ })),
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

/** `USERS`: a file path, or `duckdb:PATH#TABLE` for a table of a DuckDB database. */
export function usersLocation(): ValueParser<UsersLocation> {
  return parser(
    'a .csv/.ndjson file path, or duckdb:PATH#TABLE',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().min(1))
      .refine((s) => !s.startsWith('duckdb:') || /^duckdb:.+#[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(s))
      .transform((s): UsersLocation => {
        if (!s.startsWith('duckdb:')) return { kind: 'file', path: s };
        const hash = s.lastIndexOf('#');
        return { kind: 'duckdb', path: s.slice('duckdb:'.length, hash), table: s.slice(hash + 1) };
      }),
  );
}

/** `RATE_LIMIT_REDIS_URL`: redis:// or rediss:// (TLS), as Heroku Redis and most hosts give it. */
export function redisUrl(): ValueParser<string> {
  return parser('a redis://[:password@]host:port URL', z.string().transform((s) => s.trim()).pipe(z.string().regex(/^rediss?:\/\/[^\s]+$/)));
}

/** Heroku's `DYNO`: process type and index, such as worker.3. */
export function dynoName(): ValueParser<string> {
  return parser('a Heroku dyno name such as worker.3', z.string().transform((s) => s.trim()).pipe(z.string().regex(/^[A-Za-z0-9_-]+\.[0-9]+$/)));
}

/** `SINK`: duckdb:PATH (the embedded warehouse) or host:URL (a fleet's warehouse host). */
export function sinkUri(): ValueParser<SinkUri> {
  return parser(
    'duckdb:PATH (such as duckdb:./friendfleet.duckdb) or host:http://HOST:PORT',
    z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().regex(/^(duckdb:.+|host:https?:\/\/[^\s/]+\/?)$/))
      .transform((s): SinkUri =>
        s.startsWith('duckdb:') ? { kind: 'duckdb', path: s.slice('duckdb:'.length) } : { kind: 'host', url: s.slice('host:'.length).replace(/\/$/, '') },
      ),
  );
}

export function logLevel(): ValueParser<string> {
  return oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
}

const TOKEN = /^[\x21-\x2b\x2d-\x7e]+$/;

/** A credential such as a bearer token: printable ASCII, no spaces or commas. Never echoed (secret). */
export function token(what: string): ValueParser<string> {
  return parser(`${what} (printable characters, no spaces or commas)`, z.string().transform((s) => s.trim()).pipe(z.string().regex(TOKEN)));
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
