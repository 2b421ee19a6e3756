import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { keepSecret } from '../core/secrets.ts';
import type { BigQueryConnection } from '../sinks/bigquery/connection.ts';
import type { SinkUri } from '../sinks/registry.ts';
import type { UsersLocation } from '../users/staged-table.ts';
import type { Settings } from './load.ts';
import { keyFileContents } from './parsers.ts';
import type { SettingKey } from './settings.ts';

/** Settings that say how to reach BigQuery, whichever of SINK and USERS names it. */
export const BIGQUERY_SETTINGS = ['googleCredentials', 'googleApplicationCredentials', 'bigqueryLocation', 'bigqueryApiEndpoint'] as const satisfies readonly SettingKey[];

/** Settings of a command that reads or writes the warehouse. */
export const SINK_SETTINGS = ['sink', 'hostSecret', ...BIGQUERY_SETTINGS] as const satisfies readonly SettingKey[];

/** Settings of a command that reads the users table. */
export const USERS_SETTINGS = ['users', 'usersQuery', ...SINK_SETTINGS] as const satisfies readonly SettingKey[];

/**
 * The BigQuery connection: GOOGLE_CREDENTIALS (key JSON) first, else the key file that
 * GOOGLE_APPLICATION_CREDENTIALS names (read and checked here, once, so a bad file stops the program
 * before any work), else Application Default Credentials.
 */
function connection(s: Settings<(typeof BIGQUERY_SETTINGS)[number]>): BigQueryConnection {
  const base = { location: s.bigqueryLocation ?? 'US', apiEndpoint: s.bigqueryApiEndpoint };
  if (s.googleCredentials) return { ...base, credentials: s.googleCredentials };
  const file = s.googleApplicationCredentials;
  if (!file) return base;
  let key;
  try {
    key = keyFileContents(readFileSync(file, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message;
    throw new ConfigError('GOOGLE_APPLICATION_CREDENTIALS', `GOOGLE_APPLICATION_CREDENTIALS names ${file}, but ${why}`);
  }
  keepSecret(key);
  return key ? { ...base, credentials: key } : { ...base, keyFile: file };
}

/** SINK with what reaching it takes: BigQuery's connection settings, a warehouse host's secret. */
export function sinkFrom(s: Settings<(typeof SINK_SETTINGS)[number]>): SinkUri {
  const sink = s.sink!;
  if (sink.kind === 'host') {
    if (s.hostSecret === undefined)
      throw new ConfigError(
        'HOST_SECRET',
        `SINK=host:${sink.url} needs the fleet's secret: set HOST_SECRET (a fleet gives it to its workers; on its machine it is in the host file next to the DuckDB file)`,
      );
    return { ...sink, secret: s.hostSecret };
  }
  return sink.kind === 'bigquery' ? { ...sink, connection: connection(s) } : sink;
}

/**
 * Where the users come from: USERS, or USERS_QUERY run in SINK's BigQuery project; undefined when
 * neither is set (the command says what it needs).
 */
export function usersFrom(s: Settings<(typeof USERS_SETTINGS)[number]>): UsersLocation | undefined {
  if (s.usersQuery !== undefined) {
    if (s.users !== undefined) throw new ConfigError('USERS_QUERY', 'USERS and USERS_QUERY are both set: set one');
    if (s.sink?.kind !== 'bigquery') throw new ConfigError('USERS_QUERY', 'USERS_QUERY runs in the BigQuery project of SINK: set SINK=bigquery:PROJECT.DATASET');
    return { kind: 'bigquery-query', project: s.sink.project, sql: s.usersQuery, connection: connection(s) };
  }
  if (s.users?.kind === 'bigquery') return { ...s.users, connection: connection(s) };
  return s.users;
}
