import type { ValueParser } from './parsers.ts';
import * as p from './parsers.ts';
import { SOURCE_NAMES, type SourceName } from '../sources/source.ts';
import { REPO_READS, type RepoRead } from '../sources/bluesky-repo/read-mode.ts';

/**
 * Every setting friendfleet reads, once. The CLI builds its flags from this table, `loadSettings`
 * validates env vars and flags against it, and docs/settings.md is generated from it (npm run docs:settings).
 */
export interface Setting<T = unknown> {
  /** Env var name; the flag is its kebab-case form (`MAX_THREADS` → `--max-threads`). */
  readonly env: string;
  /** Placeholder in `--help`, e.g. `<n>`. */
  readonly arg: string;
  readonly parser: ValueParser<T>;
  /** Raw default, parsed like any other value; absent means unset. */
  readonly default?: string;
  readonly description: string;
  /** Never logged or stored: shown as [redacted]. */
  readonly secret?: boolean;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

export const SETTINGS = {
  source: setting({
    env: 'SOURCE',
    arg: '<name>',
    parser: p.oneOf<SourceName>(SOURCE_NAMES),
    description: `where follows come from, required: ${SOURCE_NAMES.join(', ')} (bluesky needs no account, twitter-api a paid token, twitter-html only the sim serves)`,
  }),
  sourceUrl: setting({
    env: 'SOURCE_URL',
    arg: '<url>',
    parser: p.httpUrl(),
    description: "the source's base URL (default: the source's real service: Bluesky's AppView, the PLC directory, the X API; twitter-html has none, give the sim's)",
  }),
  twitterBearerToken: setting({
    env: 'TWITTER_BEARER_TOKEN',
    arg: '<token>',
    parser: p.token('an X API bearer token'),
    secret: true,
    description: 'X API v2 bearer token (SOURCE=twitter-api); never logged',
  }),
  twitterBearerTokens: setting({
    env: 'TWITTER_BEARER_TOKENS',
    arg: '<a,b,c>',
    parser: p.tokenList('X API bearer tokens'),
    secret: true,
    description: 'several X API bearer tokens, each with its own budget, used round-robin; never logged',
  }),
  users: setting({
    env: 'USERS',
    arg: '<table>',
    parser: p.usersLocation(),
    description: 'users table: a .csv with a user_id header (screen_name, friends_count optional), an .ndjson file, duckdb:PATH#TABLE or bigquery:PROJECT.DATASET.TABLE',
  }),
  usersQuery: setting({ env: 'USERS_QUERY', arg: '<sql>', parser: p.usersQuery(), description: 'instead of USERS: a GoogleSQL query giving the users, run in the BigQuery project of SINK' }),
  minUserId: setting({ env: 'MIN_USER_ID', arg: '<id>', parser: p.nonEmpty('a user ID'), description: 'collect the users with IDs from MIN_USER_ID to MAX_USER_ID (first bucket rule)' }),
  maxUserId: setting({ env: 'MAX_USER_ID', arg: '<id>', parser: p.nonEmpty('a user ID'), description: 'upper end of the MIN_USER_ID range, inclusive' }),
  partition: setting({ env: 'PARTITION', arg: '<k[/n]>', parser: p.partitionSpec(), description: 'collect bucket k of n (NTILE over ID order); n from PARTITIONS when not given' }),
  partitions: setting({ env: 'PARTITIONS', arg: '<n>', parser: p.integer(1, 100_000), description: 'number of buckets the users table is cut into' }),
  dyno: setting({ env: 'DYNO', arg: '<name>', parser: p.dynoName(), description: 'set by Heroku: a worker.N dyno collects bucket N of PARTITIONS' }),
  jobCompletionIndex: setting({ env: 'JOB_COMPLETION_INDEX', arg: '<i>', parser: p.integer(0, 1_000_000), description: 'set by a Kubernetes indexed Job: index i collects bucket i+1 of PARTITIONS' }),
  cloudRunTaskIndex: setting({ env: 'CLOUD_RUN_TASK_INDEX', arg: '<i>', parser: p.integer(0, 1_000_000), description: 'set by a Cloud Run job: task i collects bucket i+1 of CLOUD_RUN_TASK_COUNT' }),
  cloudRunTaskCount: setting({ env: 'CLOUD_RUN_TASK_COUNT', arg: '<n>', parser: p.integer(1, 1_000_000), description: 'set by a Cloud Run job: the number of tasks, hence of buckets' }),
  usersLimit: setting({ env: 'USERS_LIMIT', arg: '<n>', parser: p.integer(1, 1_000_000_000), description: 'collect at most this many users in this run' }),
  batchSize: setting({ env: 'BATCH_SIZE', arg: '<n>', parser: p.integer(1, 100_000), default: '20', description: 'users read from the users table at a time' }),
  maxThreads: setting({ env: 'MAX_THREADS', arg: '<n>', parser: p.integer(1, 100_000), default: '50', description: 'users collected concurrently' }),
  blueskyRepoRead: setting({
    env: 'BLUESKY_REPO_READ',
    arg: '<how>',
    parser: p.oneOf<RepoRead>(REPO_READS),
    default: 'records',
    description: 'bluesky-repo: read follows as listRecords pages (records), as the whole repository file (car), or a first page then the file when more than two pages remain (auto)',
  }),
  rateLimit: setting({
    env: 'RATE_LIMIT',
    arg: '<n>',
    parser: p.integer(1, 10_000_000),
    description: "requests allowed per RATE_WINDOW per credential (default: the source's documented budget, or unlimited, until the source announces one)",
  }),
  rateWindow: setting({ env: 'RATE_WINDOW', arg: '<duration>', parser: p.duration(1000, 86_400_000), description: "rate-limit window (default: the source's, 15m; 5m for bluesky)" }),
  rateLimitRedisUrl: setting({
    env: 'RATE_LIMIT_REDIS_URL',
    arg: '<url>',
    parser: p.redisUrl(),
    secret: true,
    description: 'share one RATE_LIMIT among all workers through this Redis (bottleneck cluster mode)',
  }),
  rateLimitId: setting({
    env: 'RATE_LIMIT_ID',
    arg: '<id>',
    parser: p.nonEmpty('a limiter name'),
    description: 'name of the shared limiter: workers with the same id share one budget (default: the source and its host)',
  }),
  rateLimitWorkers: setting({
    env: 'RATE_LIMIT_WORKERS',
    arg: '<n>',
    parser: p.integer(1, 100_000),
    description: 'workers sharing the budget; without Redis each uses RATE_LIMIT / this (default PARTITIONS)',
  }),
  maxFriends: setting({ env: 'MAX_FRIENDS', arg: '<n>', parser: p.integer(0, 10_000_000), default: '2000', description: 'stop collecting a user after this many followed accounts; 0: no cap' }),
  maxRetries: setting({ env: 'MAX_RETRIES', arg: '<n>', parser: p.integer(0, 100), default: '5', description: 'retries of a page after 5xx, resets, timeouts or unreadable pages' }),
  maxAttempts: setting({ env: 'MAX_ATTEMPTS', arg: '<n>', parser: p.integer(1, 100), default: '3', description: 'runs that may try a failing user before it counts as done' }),
  circuitFirstUsers: setting({
    env: 'CIRCUIT_FIRST_USERS',
    arg: '<n>',
    parser: p.integer(0, 100_000),
    default: '5',
    description: 'stop the run when its first n users all fail on the same connection error (DNS, refused, TLS): the source cannot be reached; 0: off',
  }),
  circuitUsers: setting({
    env: 'CIRCUIT_USERS',
    arg: '<n>',
    parser: p.integer(0, 100_000),
    default: '100',
    description: 'stop the run when n users in a row fail on the same connection error; 0: off',
  }),
  requestTimeout: setting({ env: 'REQUEST_TIMEOUT', arg: '<duration>', parser: p.duration(100, 600_000), default: '30s', description: 'time allowed for response headers, and again for the body' }),
  allowPrivateAddresses: setting({
    env: 'ALLOW_PRIVATE_ADDRESSES',
    arg: '<bool>',
    parser: p.boolean(),
    default: 'false',
    description:
      'let sources follow addresses found in answers (DID documents, redirects) to loopback and private ranges, for a lab network or the sim; metadata and link-local addresses stay refused',
  }),
  maxResponseTime: setting({
    env: 'MAX_RESPONSE_TIME',
    arg: '<duration>',
    parser: p.duration(100, 3_600_000),
    default: '60s',
    description: 'most time one response may take, headers and body together (a body trickled a byte at a time); past it the user fails',
  }),
  sink: setting({ env: 'SINK', arg: '<uri>', parser: p.sinkUri(), default: 'duckdb:./friendfleet.duckdb', description: 'warehouse to write to' }),
  googleCredentials: setting({
    env: 'GOOGLE_CREDENTIALS',
    arg: '<json>',
    parser: p.serviceAccountKey(),
    secret: true,
    description: "a service account's key file contents, for BigQuery (default: GOOGLE_APPLICATION_CREDENTIALS, else Application Default Credentials)",
  }),
  googleApplicationCredentials: setting({
    env: 'GOOGLE_APPLICATION_CREDENTIALS',
    arg: '<path>',
    parser: p.jsonPath(),
    description: "path to a Google Cloud key file, for BigQuery (Google's usual variable)",
  }),
  bigqueryLocation: setting({
    env: 'BIGQUERY_LOCATION',
    arg: '<location>',
    parser: p.bigQueryLocation(),
    default: 'US',
    description: 'where setup creates the BigQuery dataset, and where queries run',
  }),
  bigqueryApiEndpoint: setting({ env: 'BIGQUERY_API_ENDPOINT', arg: '<url>', parser: p.httpUrl(), description: "BigQuery's API root, for an emulator (default: Google's)" }),
  hostSecret: setting({
    env: 'HOST_SECRET',
    arg: '<secret>',
    parser: p.secret(32, 'a secret'),
    secret: true,
    description: "the fleet's warehouse-host secret, sent with every request to it (default for a fleet: a new random one, given to its workers); prefer the env var: a flag shows in ps",
  }),
  hostListen: setting({
    env: 'HOST_LISTEN',
    arg: '<host:port>',
    parser: p.listenAddress(),
    default: '127.0.0.1:0',
    description: "where a fleet's warehouse host listens: loopback on a free port unless set; beyond this machine only with HOST_SECRET set",
  }),
  hostExportDir: setting({
    env: 'HOST_EXPORT_DIR',
    arg: '<dir>',
    parser: p.nonEmpty('a folder'),
    description: "the folder under which a fleet's warehouse host writes exports asked of it (default: none, it writes no file)",
  }),
  sinkBufferRows: setting({
    env: 'SINK_BUFFER_ROWS',
    arg: '<n>',
    parser: p.integer(10, 1_000_000),
    default: '1000',
    description: 'rows held in memory for the warehouse before fetching waits (backpressure)',
  }),
  deadLetterFile: setting({
    env: 'DEAD_LETTER_FILE',
    arg: '<path>',
    parser: p.ndjsonPath(),
    default: './friendfleet-dead-letters.ndjson',
    description: 'where rows the warehouse refuses as invalid are written, with the reason',
  }),
  worker: setting({ env: 'WORKER', arg: '<name>', parser: p.nonEmpty('a worker name'), description: 'name of this worker in rows and logs (default: DYNO, else host name and pid)' }),
  shutdownTimeout: setting({
    env: 'SHUTDOWN_TIMEOUT',
    arg: '<duration>',
    parser: p.duration(0, 600_000),
    default: '20s',
    description: 'after SIGTERM, how long in-flight users may finish before they are abandoned',
  }),
  heartbeatInterval: setting({
    env: 'HEARTBEAT_INTERVAL',
    arg: '<duration>',
    parser: p.duration(1000, 3_600_000),
    default: '30s',
    description: 'time between heartbeat rows (live counters) in the warehouse',
  }),
  tier: setting({
    env: 'TIER',
    arg: '<name>',
    parser: p.nonEmpty('a server tier name such as standard-1x'),
    description: 'the server tier this worker runs on, recorded with the run for trial tables and plan',
  }),
  progress: setting({
    env: 'PROGRESS',
    arg: '<mode>',
    parser: p.oneOf(['auto', 'bar', 'log', 'off']),
    default: 'auto',
    description: 'progress display: a bar on a terminal, log lines otherwise (auto)',
  }),
  progressInterval: setting({ env: 'PROGRESS_INTERVAL', arg: '<duration>', parser: p.duration(1000, 3_600_000), default: '30s', description: 'time between progress log lines, a duration (30s, 5m)' }),
  logLevel: setting({ env: 'LOG_LEVEL', arg: '<level>', parser: p.logLevel(), default: 'info', description: 'pino log level' }),
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** MAX_FRIENDS as the cap the collector and the planner apply: 0 (no cap) is a cap no list reaches. */
export function friendsCap(maxFriends: number): number {
  return maxFriends === 0 ? Number.MAX_SAFE_INTEGER : maxFriends;
}
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;

/** `MAX_THREADS` → `--max-threads`. */
export function flagOf(s: Setting): string {
  return `--${s.env.toLowerCase().replaceAll('_', '-')}`;
}

/** `MAX_THREADS` → `maxThreads`, the key commander gives the flag's value under. */
export function optionKeyOf(s: Setting): string {
  return s.env.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
