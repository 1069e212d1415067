import { defineConfig } from 'vitest/config';

// GPU tests run on Dawn (the `webgpu` package). The native module is loaded in forked processes,
// and VK_ICD_FILENAMES is chosen by scripts/test.sh before vitest starts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
