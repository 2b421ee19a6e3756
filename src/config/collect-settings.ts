import type { Settings } from './load.ts';
import type { SettingKey } from './settings.ts';

/** The settings of a worker (`collect`), checked before any work. */
export const COLLECT_SETTINGS = [
  'source',
  'sourceUrl',
  'twitterBearerToken',
  'twitterBearerTokens',
  'users',
  'usersQuery',
  'minUserId',
  'maxUserId',
  'partition',
  'partitions',
  'dyno',
  'jobCompletionIndex',
  'cloudRunTaskIndex',
  'cloudRunTaskCount',
  'usersLimit',
  'batchSize',
  'maxThreads',
  'rateLimit',
  'rateWindow',
  'rateLimitRedisUrl',
  'rateLimitId',
  'rateLimitWorkers',
  'maxFriends',
  'maxRetries',
  'maxAttempts',
  'circuitFirstUsers',
  'circuitUsers',
  'requestTimeout',
  'maxResponseTime',
  'allowPrivateAddresses',
  'blueskyRepoRead',
  'sink',
  'hostSecret',
  'googleCredentials',
  'googleApplicationCredentials',
  'bigqueryLocation',
  'bigqueryApiEndpoint',
  'deadLetterFile',
  'sinkBufferRows',
  'worker',
  'shutdownTimeout',
  'heartbeatInterval',
  'tier',
  'progress',
  'progressInterval',
  'logLevel',
] as const satisfies readonly SettingKey[];

export type CollectSettings = Settings<(typeof COLLECT_SETTINGS)[number]>;

/** The settings that give one worker its bucket: a fleet assigns each worker's itself. */
export const BUCKET_SETTINGS = [
  'partition',
  'minUserId',
  'maxUserId',
  'dyno',
  'jobCompletionIndex',
  'cloudRunTaskIndex',
  'cloudRunTaskCount',
] as const satisfies readonly (typeof COLLECT_SETTINGS)[number][];

/** A fleet's settings (`fleet`): a worker's, less those that give one worker its bucket. */
export const FLEET_SETTINGS = COLLECT_SETTINGS.filter((key) => !(BUCKET_SETTINGS as readonly string[]).includes(key));

/** Settings of a fleet's warehouse host itself (HOST_SECRET is a worker's setting too). */
export const HOST_SETTINGS = ['hostListen', 'hostExportDir'] as const satisfies readonly SettingKey[];
