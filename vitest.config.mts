import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'test/stack/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end files start real processes and drive load at them; on this 2-core
    // machine one file at a time keeps the memory and warning assertions deterministic.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test/.tmp/vitest-report.json' },
  },
});
