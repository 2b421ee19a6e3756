import { generateKeyPairSync } from 'node:crypto';
import { afterAll } from 'vitest';
import type { ServiceAccountKey } from '../../src/sinks/bigquery/client.ts';
import type { BigQueryTarget } from '../../src/sinks/bigquery/sink.ts';
import { startBigQueryFake, type BigQueryFake, type FakeOptions } from './bigquery-fake/server.ts';

export const PROJECT = 'friendfleet-test';

/** A service account whose key signs the tokens the fake checks. */
export interface TestAccount {
  key: ServiceAccountKey;
  /** GOOGLE_CREDENTIALS as a dyno would have it. */
  json: string;
}

export function serviceAccount(email = 'worker@friendfleet-test.iam.gserviceaccount.com'): TestAccount & { publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key: ServiceAccountKey = { type: 'service_account', project_id: PROJECT, private_key_id: 'k1', private_key: privateKey, client_email: email };
  return { key, json: JSON.stringify(key), publicKey };
}

export interface FakeWarehouse {
  fake: BigQueryFake;
  account: TestAccount;
  /** A dataset of the fake as a sink target. */
  target(dataset: string): BigQueryTarget;
  /** The env vars that point friendfleet at the fake. */
  env(dataset: string): Record<string, string>;
}

/** Starts the BigQuery fake for this test file (stopped after it), with a service account it trusts. */
export async function useBigQueryFake(options: FakeOptions = {}): Promise<FakeWarehouse> {
  const account = serviceAccount();
  const fake = await startBigQueryFake({ serviceAccounts: { [account.key.client_email]: account.publicKey }, ...options });
  afterAll(() => fake.close());
  return {
    fake,
    account,
    target: (dataset) => ({ project: PROJECT, dataset, connection: { credentials: account.key, apiEndpoint: fake.url, location: 'US' } }),
    env: (dataset) => ({ SINK: `bigquery:${PROJECT}.${dataset}`, GOOGLE_CREDENTIALS: account.json, BIGQUERY_API_ENDPOINT: fake.url }),
  };
}
