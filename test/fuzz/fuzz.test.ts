// The fuzz harness in CI: 12,000 seeded sessions (server and client roles in turn), reproducible. Another
// base seed: FUZZ_SEED=<n>. The long run: npx tsx --conditions=@h2ts/source test/fuzz/run.ts --sessions 1000000
import { describe, expect, it } from 'vitest'
import { runMany } from './harness.js'

const BASE_SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed)
const SESSIONS = 12_000

describe('fuzz: random and mutated frame sequences against the engine', () => {
  it(`${SESSIONS} sessions from seed ${BASE_SEED}: no uncaught exception, only typed errors, bounded tables and queues`, () => {
    const failures = runMany(BASE_SEED, SESSIONS)
    const described = failures.map(
      (f) =>
        `seed ${f.seed} (${f.role}): ${f.message.split('\n')[0]} — rerun: test/fuzz/run.ts --seed ${f.seed} --sessions 1 --role ${f.role}`,
    )
    expect(described).toEqual([])
  }, 120_000)
})
