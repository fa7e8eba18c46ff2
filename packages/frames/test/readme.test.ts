/** The README's example, run as written (console output captured), so the documentation cannot rot. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import * as frames from '../src/index.js'

describe('README', () => {
  it('runs its example and prints what it says', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(code).toBeDefined()
    const body = code!.replace(/import \{[\s\S]*?\} from '@h2ts\/frames'\n/, '')
    const log = vi.fn()
    new Function('frames', 'console', `const { ${Object.keys(frames).join(', ')} } = frames\n${body}`)(
      frames,
      { log },
    )
    const lines = log.mock.calls.map((args) =>
      args
        .map((a) =>
          typeof a === 'string'
            ? a
            : JSON.stringify(a, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)),
        )
        .join(' '),
    )
    expect(lines).toEqual([
      'settings [{"id":4,"value":1048576}]',
      'answer with 17 octets',
      'request on stream 1 fragment [130,134,132] ends stream true',
      '1',
    ])
  })
})
