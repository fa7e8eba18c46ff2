import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@h2ts/source'] },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
