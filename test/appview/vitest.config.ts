import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** npm run test:appview: only this folder's tests, with time for Bluesky's services to start and index. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/appview/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
