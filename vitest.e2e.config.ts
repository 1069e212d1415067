import { defineConfig } from 'vitest/config';

// Browser tests: each file builds or serves the app on 127.0.0.1 and drives Debian's Chromium
// through playwright-core with SwiftShader WebGPU.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
