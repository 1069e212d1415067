/**
 * Entry of `npm run test:e2e`: runs the browser tests with vitest.e2e.config.ts, the same as
 * `npx vitest run --config vitest.e2e.config.ts`, and exits non-zero when any test fails.
 */
import { startVitest } from 'vitest/node';

const vitest = await startVitest('test', process.argv.slice(2), { config: 'vitest.e2e.config.ts', run: true, watch: false });
const failed = vitest.state.getCountOfFailedTests();
await vitest.close();
process.exit(failed > 0 || process.exitCode ? 1 : 0);
