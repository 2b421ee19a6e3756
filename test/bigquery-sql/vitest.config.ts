import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:bigquery-sql`: the BigQuery SQL check (README: docs/bigquery.md). Its files end in
 * .check.ts, so `npm test` does not run them a second time.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/bigquery-sql/**/*.check.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
