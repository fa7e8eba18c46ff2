// Type-checks every project in the workspace. Core packages (hpack, frames) are checked with
// `"types": []` so no Node global can leak into them; their tests get Node types of their own.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const projects = []
for (const pkg of readdirSync('packages')) {
  for (const p of [
    join('packages', pkg, 'tsconfig.json'),
    join('packages', pkg, 'tsconfig.node.json'),
    join('packages', pkg, 'test', 'tsconfig.json'),
  ]) {
    if (existsSync(p)) projects.push(p)
  }
}
for (const p of ['bench/tsconfig.json', 'test/tsconfig.json']) if (existsSync(p)) projects.push(p)

// The workspace's own TypeScript, whether or not node_modules/.bin is on PATH.
const tsc = join('node_modules', '.bin', process.platform === 'win32' ? 'tsc.cmd' : 'tsc')

let failed = 0
for (const p of projects) {
  const r = spawnSync(tsc, ['--noEmit', '-p', p], { stdio: 'inherit', shell: false })
  if (r.status !== 0) {
    failed++
    console.error(`typecheck failed: ${p}`)
  }
}
console.log(`typecheck: ${projects.length - failed}/${projects.length} projects clean`)
process.exit(failed ? 1 : 0)
