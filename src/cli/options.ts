import type { Command } from 'commander';
import { flagOf, SETTINGS, type Setting, type SettingKey } from '../config/settings.ts';

/**
 * Headings that cut a command's --help into parts (collect has some 50 flags): each setting under one,
 * in this order; a setting not listed falls under the last.
 */
const HELP_GROUPS: readonly (readonly [string, readonly SettingKey[]])[] = [
  ['Source:', ['source', 'sourceUrl', 'twitterBearerToken', 'twitterBearerTokens', 'blueskyRepoRead']],
  [
    'Users and buckets:',
    ['users', 'usersQuery', 'minUserId', 'maxUserId', 'partition', 'partitions', 'dyno', 'jobCompletionIndex', 'cloudRunTaskIndex', 'cloudRunTaskCount', 'usersLimit', 'batchSize'],
  ],
  [
    'Rate, limits and retries:',
    [
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
    ],
  ],
  [
    'Warehouse:',
    ['sink', 'googleCredentials', 'googleApplicationCredentials', 'bigqueryLocation', 'bigqueryApiEndpoint', 'hostSecret', 'hostListen', 'hostExportDir', 'sinkBufferRows', 'deadLetterFile'],
  ],
  ['Worker and output:', ['worker', 'shutdownTimeout', 'heartbeatInterval', 'tier', 'progress', 'progressInterval', 'logLevel']],
];

function helpGroup(key: SettingKey): string {
  return HELP_GROUPS.find(([, keys]) => keys.includes(key))?.[0] ?? HELP_GROUPS.at(-1)![0];
}

/**
 * Registers the flags of `keys` on a command, from the one settings table. `read` marks a read-only
 * command (monitor, plan, export): its SINK is the warehouse it reads, not one it writes to.
 */
export function addSettingFlags(command: Command, keys: readonly SettingKey[], options: { read?: boolean } = {}): Command {
  for (const key of keys) {
    const s = SETTINGS[key] as Setting;
    const def = s.default === undefined ? '' : ` (default ${s.default})`;
    const description = key === 'sink' && options.read ? 'warehouse to read (never created: a missing one is an error)' : s.description;
    const option = command.createOption(`${flagOf(s)} ${s.arg}`, `${description}; env ${s.env}${def}`);
    // Grouped only where there are enough flags to need it: a read-only command's one --sink stays under Options.
    if (keys.length > 8) option.helpGroup(helpGroup(key));
    command.addOption(option);
  }
  return command;
}
