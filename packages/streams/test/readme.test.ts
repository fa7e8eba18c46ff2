/** The README's Node example, run as written (its output captured), so the documentation cannot rot. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it, vi } from 'vitest'

describe('README', () => {
  it('runs the server and client example and prints the response', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(code).toBeDefined()
    const nodeEntry = pathToFileURL(fileURLToPath(new URL('../src/node/index.ts', import.meta.url))).href
    const dir = mkdtempSync(join(tmpdir(), 'h2ts-readme-'))
    const file = join(dir, 'example.ts')
    writeFileSync(file, code!.replace("'@h2ts/streams/node'", `'${nodeEntry}'`))
    const written: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(Buffer.from(chunk).toString())
      return true
    })
    try {
      await import(pathToFileURL(file).href)
    } finally {
      spy.mockRestore()
      rmSync(dir, { recursive: true, force: true })
    }
    expect(written.join('')).toBe('hello from /greeting')
  })
})
