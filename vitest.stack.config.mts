import { defineConfig } from 'vitest/config';

/** `npm run test:stack`: the full-stack test (real collector, Jaeger, Prometheus); see test/stack/. */
export default defineConfig({
  test: {
    include: ['test/stack/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test/.tmp/vitest-stack-report.json' },
  },
});
