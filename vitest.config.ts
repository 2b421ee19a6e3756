import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Opt-in: Bluesky's own server software, installed on demand (npm run test:appview, docs/appview.md).
    exclude: [...configDefaults.exclude, 'test/appview/**'],
    // DuckDB is a native addon: separate processes keep one test file's instance from another's.
    pool: 'forks',
    // Hang detectors, not speed checks: a two-core machine shared with other work runs a fleet test slowly.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
