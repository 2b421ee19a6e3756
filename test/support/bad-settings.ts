import type { SettingKey } from '../../src/config/settings.ts';

/**
 * Values each setting must refuse (wrong types, out of range, malformed), beside the empty value
 * every setting refuses. test/config/load.test.ts checks each one's message; the chaos suite runs a
 * worker with each one and checks that nothing was done.
 */
export const BAD: Partial<Record<SettingKey, string[]>> = {
  source: ['twitter', 'TWITTER-HTML ', 'x-api', 'atproto'],
  sourceUrl: ['ftp://example.com', 'not a url', 'https://user:pass@example.com'],
  twitterBearerToken: ['AAAA token with spaces', 'a,b', 'bad\u0001char'],
  twitterBearerTokens: ['a,,b', 'a,b,a', 'a, b c', 'a,'],
  partition: ['0', 'x', '3/2', '1/0', '-1'],
  partitions: ['0', 'ten', '1.5'],
  usersLimit: ['0', '-3', '1e3'],
  batchSize: ['0', 'twenty'],
  maxThreads: ['0', '100001', 'abc', '2.5'],
  rateLimit: ['0', 'fast'],
  rateWindow: ['0', '5 minutes', '-1s', '2d'],
  rateLimitRedisUrl: ['localhost:6379', 'http://cache:6379', 'redis://', 'redis://:secret@ host:6379'],
  rateLimitWorkers: ['0', 'four', '1.5'],
  maxFriends: ['-1', 'all', '10000001'],
  maxRetries: ['-1', '101'],
  maxAttempts: ['0'],
  requestTimeout: ['10ms', 'soon'],
  maxResponseTime: ['50ms', '2h', 'slowly'],
  allowPrivateAddresses: ['maybe', 'on', '2'],
  blueskyRepoRead: ['pages', 'CAR', 'both'],
  sink: ['postgres://x', 'duckdb:', './x.duckdb', 'host:ftp://x', 'bigquery:my-project', 'bigquery:My_Project.ds', 'bigquery:my-project.ds.table', 'bigquery:my-project.bad-name'],
  users: ['duckdb:x.duckdb', 'duckdb:x.duckdb#bad table', 'bigquery:my-project.ds', 'bigquery:my-project.ds.bad-table'],
  usersQuery: ['DROP TABLE users', 'users'],
  googleCredentials: ['{}', 'not json', '{"type":"authorized_user","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----"}'],
  googleApplicationCredentials: ['key.pem', '/tmp/'],
  bigqueryLocation: ['us central', 'EU!'],
  bigqueryApiEndpoint: ['ftp://x', 'localhost:9050', 'http://key:sekrit@localhost:9050'],
  deadLetterFile: ['dead.csv', '/tmp/'],
  sinkBufferRows: ['0', '5', 'lots'],
  hostSecret: ['short', 'a value with spaces in it that is long enough', 'comma,separated-but-long-enough-to-pass-length'],
  hostListen: ['8800', 'localhost', '127.0.0.1:99999', 'http://127.0.0.1:80'],
  dyno: ['worker', 'worker.', '.3'],
  jobCompletionIndex: ['-1', 'first'],
  cloudRunTaskIndex: ['-1'],
  cloudRunTaskCount: ['0'],
  shutdownTimeout: ['forever'],
  progress: ['fancy'],
  progressInterval: ['0'],
  heartbeatInterval: ['500ms', 'often'],
  logLevel: ['loud'],
};
