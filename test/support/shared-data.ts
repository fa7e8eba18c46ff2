/**
 * The one way tests reach the public test data in `../shared` (hpack-test-case, http2-frame-test-case).
 *
 * The data is never copied into this repository. A clone without `../shared` skips those tests and says so
 * once, visibly; CI always has the data. `H2TS_SHARED_DIR` points somewhere else if needed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Absolute path of the shared data folder, or undefined when this clone has none. */
export const sharedDir: string | undefined = (() => {
  const candidate = process.env['H2TS_SHARED_DIR'] ?? join(repoRoot, '..', 'shared')
  return existsSync(candidate) ? candidate : undefined
})()

const warned = new Set<string>()

/**
 * Whether a data set (a folder of `../shared`) is present. When it is not, prints a note once per data set
 * so the skip is visible in the test output; use with `describe.skipIf(!hasSharedData(name))`.
 */
export function hasSharedData(name: string): boolean {
  const ok = sharedDir !== undefined && existsSync(join(sharedDir, name))
  if (!ok && !warned.has(name)) {
    warned.add(name)
    console.warn(
      `[h2ts] ../shared/${name} not found: tests that need it are SKIPPED (set H2TS_SHARED_DIR to run them)`,
    )
  }
  return ok
}

function path(...parts: string[]): string {
  if (sharedDir === undefined)
    throw new Error('shared test data is not available (check hasSharedData first)')
  return join(sharedDir, ...parts)
}

/** Sorted names of the entries of a folder inside the shared data. */
export function listShared(...parts: string[]): string[] {
  return readdirSync(path(...parts)).sort()
}

/** Sorted names of the sub-folders of a folder inside the shared data. */
export function listSharedDirs(...parts: string[]): string[] {
  return readdirSync(path(...parts), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
}

/** Reads and parses a JSON file of the shared data. */
export function readSharedJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(path(...parts), 'utf8')) as T
}

/** Parses lowercase or uppercase hex (the data's `wire` fields) into bytes. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '')
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`not hex: ${hex.slice(0, 40)}`)
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Lowercase hex of bytes, for readable assertions. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
