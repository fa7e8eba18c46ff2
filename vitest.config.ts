import { defineConfig } from 'vitest/config'

// Workspace packages are tested from source: their exports map has an "@h2ts/source" condition.
const conditions = ['@h2ts/source', 'node', 'import', 'module', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
