import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeSettings, loadSettings } from '../../../src/config/load.ts';
import { sinkFrom, SINK_SETTINGS } from '../../../src/config/warehouse.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/log.ts';
import { setupBigQuery } from '../../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../../src/sinks/bigquery/sink.ts';
import { PROJECT, serviceAccount, useBigQueryFake } from '../../support/bigquery.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir();
const w = await useBigQueryFake();
await setupBigQuery(w.target('creds'));

/** Long lines of a PEM key: any of them in an output means the key leaked. */
const keyLines = (pem: string) => pem.split('\n').filter((l) => l.length > 40);

describe('BigQuery credentials', () => {
  it('takes a service-account key from the file GOOGLE_APPLICATION_CREDENTIALS names', async () => {
    const file = join(dir, 'key.json');
    writeFileSync(file, w.account.json);
    const env = { SINK: `bigquery:${PROJECT}.creds`, GOOGLE_APPLICATION_CREDENTIALS: file, BIGQUERY_API_ENDPOINT: w.fake.url };
    const uri = sinkFrom(loadSettings(SINK_SETTINGS, {}, env));
    expect(uri.kind === 'bigquery' && uri.connection.credentials?.client_email).toBe(w.account.key.client_email);
    const sink = new BigQuerySink(uri as Extract<typeof uri, { kind: 'bigquery' }>);
    await sink.open();
    expect(await sink.query('SELECT 1 AS one')).toEqual([{ one: 1n }]);
    await sink.close();
    // GOOGLE_CREDENTIALS, the Heroku way, wins over the file.
    const other = serviceAccount('other@friendfleet-test.iam.gserviceaccount.com');
    const both = sinkFrom(loadSettings(SINK_SETTINGS, {}, { ...env, GOOGLE_CREDENTIALS: other.json }));
    expect(both.kind === 'bigquery' && both.connection.credentials?.client_email).toBe('other@friendfleet-test.iam.gserviceaccount.com');
  });

  it('refuses a key file it cannot use with one line that does not quote it', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, w.account.json.slice(0, 200));
    for (const [file, why] of [
      [join(dir, 'missing.json'), 'it does not exist'],
      [broken, 'it is not JSON'],
    ] as const) {
      let error: unknown;
      try {
        sinkFrom(loadSettings(SINK_SETTINGS, {}, { SINK: `bigquery:${PROJECT}.creds`, GOOGLE_APPLICATION_CREDENTIALS: file }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(`GOOGLE_APPLICATION_CREDENTIALS names ${file}, but ${why}`);
    }
  });

  it('keeps the key out of logs (pino redaction) and out of errors from the API', async () => {
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (d: Buffer) => lines.push(d.toString()));
    const log = createLogger('trace', out);
    const settings = loadSettings(SINK_SETTINGS, {}, { SINK: `bigquery:${PROJECT}.creds`, GOOGLE_CREDENTIALS: w.account.json });
    log.info({ settings: describeSettings(settings) }, 'run started');
    // Even code that forgot describeSettings, or logs the key object itself, does not leak it.
    log.info(
      {
        settings,
        credentials: w.account.key,
        sink: sinkFrom(settings),
        worker: { users: { connection: sinkFrom(settings).kind === 'bigquery' ? (sinkFrom(settings) as { connection: unknown }).connection : null } },
      },
      'careless',
    );
    const stranger = serviceAccount('stranger@elsewhere.iam.gserviceaccount.com');
    const refused = new BigQuerySink({ ...w.target('creds'), connection: { ...w.target('creds').connection, credentials: stranger.key } });
    const error = await refused.open().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^cannot open bigquery:friendfleet-test\.creds: HTTP 401 authError: Request had invalid authentication credentials/);
    log.error({ err: error }, 'sink failed');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('') + (error?.message ?? '') + (error?.stack ?? '');
    expect(lines.length).toBe(3);
    expect(text).toContain('"googleCredentials":"[redacted]"');
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toMatch(/Bearer|eyJ[A-Za-z0-9_-]{20}/);
    for (const line of [...keyLines(w.account.key.private_key), ...keyLines(stranger.key.private_key)]) expect(text).not.toContain(line);
  });
});
