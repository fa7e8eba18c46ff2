/** The README's example, run as written (console output captured), so the documentation cannot rot. */
import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import * as hpack from '../src/index.js'

describe('README', () => {
  it('runs its example and prints the decoded headers', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(code).toBeDefined()
    const body = code!.replace(/import \{[\s\S]*?\} from '@h2ts\/hpack'\n/, '')
    const log = vi.fn()
    new Function('hpack', 'console', `const { ${Object.keys(hpack).join(', ')} } = hpack\n${body}`)(hpack, {
      log,
    })
    expect(log.mock.calls).toEqual([
      [
        [
          [':method', 'GET'],
          [':path', '/v1/models'],
          ['authorization', 'Bearer sk-example'],
          ['x-session', 'abc'],
        ],
      ],
    ])
  })
})
