/**
 * The long fuzz run: `npx tsx --conditions=@h2ts/source test/fuzz/run.ts --sessions 1000000 [--seed N]
 * [--role server|client]`. Prints progress, and each failure with its seed (rerun one with
 * `--seed <seed> --sessions 1`); exits 1 if any session failed.
 */
import type { Role } from '@h2ts/streams'
import { runSession } from './harness.js'

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? process.argv[at + 1] : undefined
}
const sessions = Number(arg('sessions') ?? 100_000)
const base = Number(arg('seed') ?? Date.now() % 2 ** 31)
const roles: Role[] = arg('role') === undefined ? ['server', 'client'] : [arg('role') as Role]

console.log(`fuzz: ${sessions} sessions from seed ${base}, roles ${roles.join(', ')}`)
let failures = 0
const started = Date.now()
for (let i = 0; i < sessions; i++) {
  const seed = (base + i) >>> 0
  const role = roles[i % roles.length]!
  const failure = runSession(seed, role)
  if (failure !== undefined) {
    failures++
    console.log(`FAIL seed=${seed} role=${role}: ${failure.message}\n  input=${failure.input.slice(0, 2000)}`)
    if (failures >= 20) break
  }
  if ((i + 1) % 10_000 === 0)
    console.log(`  ${i + 1} sessions, ${failures} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`)
}
console.log(`fuzz: done, ${failures} failures in ${((Date.now() - started) / 1000).toFixed(1)} s`)
process.exit(failures > 0 ? 1 : 0)
