import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own name ('kdemu', 'kdemu/vitest') resolves to the library's sources, not to dist/: one copy of
  // the emulator per test process (a second one, from dist/, would register the Unicorn engine's native types twice)
  // and no stale build. test/lib/exports.test.ts checks the "exports" map itself against dist/.
  resolve: {
    alias: [
      { find: /^kdemu$/, replacement: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) },
      { find: /^kdemu\/vitest$/, replacement: fileURLToPath(new URL('./lib/vitest.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-schema.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
