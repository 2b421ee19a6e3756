import { SinkError } from '../../core/errors.ts';
import { readSqlDir } from '../sql-files.ts';
import { createClient, PROJECT_ID, NAME } from './client.ts';
import { classifyFailure } from './errors.ts';
import { answered, queryAll } from './query.ts';
import type { BigQueryTarget } from './sink.ts';

/** One step of `friendfleet setup`, for its report. */
export interface SetupStep {
  object: string;
  action: 'created' | 'exists' | 'ran';
}

/**
 * The BigQuery DDL in the order `setup` runs it: tables and the latest-row views (./ddl/), then the
 * monitoring views (./views/). Each file is one statement with {{project}} and {{dataset}} to fill in,
 * so a person can paste it into the console.
 */
export function bigQueryDdl(target: { project: string; dataset: string }): { name: string; sql: string }[] {
  if (!PROJECT_ID.test(target.project) || !NAME.test(target.dataset)) throw new SinkError(`not a BigQuery dataset: ${target.project}.${target.dataset}`);
  return [...readSqlDir('sinks/bigquery/ddl'), ...readSqlDir('sinks/bigquery/views')].map((f) => ({
    name: f.name,
    sql: f.sql.replaceAll('{{project}}', target.project).replaceAll('{{dataset}}', target.dataset),
  }));
}

/**
 * Creates the dataset (in BIGQUERY_LOCATION) if it does not exist, then runs every DDL file: CREATE
 * TABLE IF NOT EXISTS and CREATE OR REPLACE VIEW, so running it again changes nothing but the views'
 * text (which a new friendfleet version may have changed).
 */
export async function setupBigQuery(target: BigQueryTarget): Promise<SetupStep[]> {
  const client = createClient(target.project, target.connection, { autoRetry: true });
  const steps: SetupStep[] = [];
  const dataset = client.dataset(target.dataset, { location: target.connection.location });
  const name = `${target.project}.${target.dataset}`;
  try {
    const [exists] = await answered(() => dataset.exists(), 'datasets.get');
    if (exists) steps.push({ object: `dataset ${name}`, action: 'exists' });
    else {
      try {
        await answered(() => dataset.create({ location: target.connection.location }), 'datasets.insert');
        steps.push({ object: `dataset ${name} (${target.connection.location})`, action: 'created' });
      } catch (error) {
        // Another process created it between the two calls.
        if (classifyFailure(error).status !== 409) throw error;
        steps.push({ object: `dataset ${name}`, action: 'exists' });
      }
    }
  } catch (error) {
    throw new SinkError(`cannot create dataset ${name}: ${classifyFailure(error).summary}`);
  }
  for (const file of bigQueryDdl(target)) {
    await queryAll(client, file.sql, { what: file.name });
    steps.push({ object: file.name, action: 'ran' });
  }
  return steps;
}
