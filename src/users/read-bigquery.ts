import { UsersInputError } from '../core/errors.ts';
import type { IdRange } from '../partition/bucket.ts';
import { createClient, NAME, tableName, type BigQueryConnection, type TableRef } from '../sinks/bigquery/client.ts';
import { classifyFailure, QueryFailed } from '../sinks/bigquery/errors.ts';
import { answered, queryPages } from '../sinks/bigquery/query.ts';
import { rangeCondition } from '../sinks/bigquery/sql.ts';
import type { RawUserRow } from './read-file.ts';

/** Users in BigQuery: a table (`USERS=bigquery:PROJECT.DATASET.TABLE`) or a query (`USERS_QUERY`). */
export type BigQueryUsers = { kind: 'bigquery'; table: TableRef; connection: BigQueryConnection } | { kind: 'bigquery-query'; project: string; sql: string; connection: BigQueryConnection };

/** Rows per page of the users query: ~40 bytes a user, far below BigQuery's ~10 MB page. */
const PAGE_ROWS = 20_000;
/** ID types read without loss: cast to STRING in SQL, so no INT64 ever goes through a JS number. */
const ID_TYPES = new Set(['STRING', 'INT64', 'INTEGER', 'NUMERIC', 'BIGNUMERIC']);

export function describeBigQueryUsers(source: BigQueryUsers): string {
  return source.kind === 'bigquery' ? `bigquery:${source.table.project}.${source.table.dataset}.${source.table.table}` : 'USERS_QUERY';
}

function usersError(source: BigQueryUsers, error: unknown): Error {
  const failure = classifyFailure(error);
  const message = `cannot read users from ${describeBigQueryUsers(source)}: ${error instanceof QueryFailed ? error.message : failure.summary}`;
  // A missing table, a query that does not compile or no permission is bad input; an outage is not.
  return failure.kind === 'fatal' ? new UsersInputError(message) : new QueryFailed(message, failure);
}

/**
 * Streams the users of a BigQuery table or query (of `range` only, when the worker's bucket is known
 * before loading), page by page. The column names come from a dry run (free: it reads no data); the
 * query then selects user_id (STRING or INT64, cast to STRING in SQL), screen_name and friends_count,
 * with the bucket bounds as query parameters. The staged users table validates the rows as it does a
 * file's.
 */
export async function* readBigQueryUsers(source: BigQueryUsers, range: IdRange | undefined): AsyncGenerator<RawUserRow> {
  const project = source.kind === 'bigquery' ? source.table.project : source.project;
  const client = createClient(project, source.connection, { autoRetry: true });
  const from = source.kind === 'bigquery' ? tableName(source.table, source.table.table) : `(\n${source.sql}\n)`;
  let fields: { name: string; type: string }[];
  try {
    const [job] = await answered(() => client.createQueryJob({ query: `SELECT * FROM ${from} AS u`, dryRun: true }), 'the dry run');
    fields = (job.metadata as { statistics?: { query?: { schema?: { fields?: { name: string; type: string }[] } } } }).statistics?.query?.schema?.fields ?? [];
  } catch (error) {
    throw usersError(source, error);
  }
  const column = (names: string[]) => fields.find((f) => names.includes(f.name.toLowerCase()) && NAME.test(f.name));
  const id = column(['user_id', 'id']);
  if (!id) throw new UsersInputError(`${describeBigQueryUsers(source)} has no user_id column (found ${fields.map((f) => f.name).join(', ') || 'none'})`);
  if (!ID_TYPES.has(id.type)) throw new UsersInputError(`${describeBigQueryUsers(source)}: user_id is ${id.type}; expected STRING or INT64`);
  const name = column(['screen_name', 'username', 'handle']);
  const count = column(['friends_count']);
  const where = rangeCondition(range, `u.\`${id.name}\``);
  const sql =
    `SELECT CAST(u.\`${id.name}\` AS STRING) AS user_id, ` +
    `${name ? `CAST(u.\`${name.name}\` AS STRING)` : 'CAST(NULL AS STRING)'} AS screen_name, ` +
    `${count ? `CAST(u.\`${count.name}\` AS STRING)` : 'CAST(NULL AS STRING)'} AS friends_count\n` +
    `FROM ${from} AS u\nWHERE ${where.sql}`;
  let line = 0;
  try {
    for await (const rows of queryPages(client, sql, { params: where.params, pageRows: PAGE_ROWS, what: 'users' })) {
      for (const r of rows) {
        line++;
        yield {
          line,
          userId: (r.user_id as string | null) ?? undefined,
          screenName: (r.screen_name as string | null) ?? undefined,
          friendsCount: (r.friends_count as string | null) ?? undefined,
        };
      }
    }
  } catch (error) {
    throw usersError(source, error);
  }
}
