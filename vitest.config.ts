import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Build once per run so CLI tests spawn the real `dist/cli/main.js`.
    globalSetup: ['test/setup/build.ts', 'test/setup/cache.ts', 'test/setup/chromium.ts'],
    // The Z3 WebAssembly build and spawned child processes behave better in forked workers.
    pool: 'forks',
    testTimeout: 60000,
    hookTimeout: 120000,
  },
});
