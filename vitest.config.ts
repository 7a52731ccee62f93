import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real etcd processes; they set their own longer timeouts.
    testTimeout: 20_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
