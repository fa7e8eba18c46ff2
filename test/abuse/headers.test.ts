// Header-block abuse: the CONTINUATION flood, fast and slow (CVE-2024-27316 and siblings), zero-length
// headers (CVE-2019-9516) and the HPACK bomb (CVE-2016-6581). The header list is counted with RFC 9113
// §6.5.2's 32 octets per field while decoding; HPACK state stays in step so the next request still works.
import { ErrorCode, encodeFrame, Flags, FrameType } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import { DEFAULT_LIMITS } from '@h2ts/streams'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Attacker,
  attackBeside,
  headersFrame,
  MiB,
  mib,
  report,
  request,
  type ServerUnderTest,
  startServer,
} from './support.js'

const HEADER_BLOCK_TIMEOUT = 1000
let server: ServerUnderTest
beforeAll(async () => {
  server = await startServer({
    writeTimeout: 1000,
    connection: { limits: { headerBlockTimeout: HEADER_BLOCK_TIMEOUT } },
  })
})
afterAll(() => server?.stop())

const { maxContinuationFrames, maxHeaderBlockSize, maxHeaderListSize } = DEFAULT_LIMITS
const continuation = (fragment: Uint8Array, flags = 0) =>
  encodeFrame({ type: FrameType.CONTINUATION, flags, streamId: 1, fragment })

const attack = <T>(flood: (a: Attacker) => Promise<T>) => attackBeside(server, flood)

describe('CONTINUATION flood', () => {
  for (const [name, size, limit, reason] of [
    ['small fragments', 16, `maxContinuationFrames ${maxContinuationFrames}`, 'too-many-continuations'],
    ['16 KiB fragments', 16384, `maxHeaderBlockSize ${maxHeaderBlockSize}`, 'header-block-too-large'],
  ] as const) {
    it(`fast, ${name}: endless CONTINUATION → GOAWAY ENHANCE_YOUR_CALM (${reason}); no handler runs`, async () => {
      // Literal bytes that would decode as an endless header value if anyone decoded them.
      const junk = new Uint8Array(size).fill(0x61)
      const { a, before, after, growth, served } = await attack(async (a) => {
        const block = a.hpack.encode(request('/attack'))
        await a.write(headersFrame(1, block.subarray(0, 3), Flags.END_STREAM))
        return a.flood({
          maxUnits: 200,
          maxMs: 2500,
          batchSize: 1,
          pauseMs: 20,
          batch: () => [continuation(junk)],
        })
      })
      report(`CONTINUATION flood, ${name}`, {
        limit,
        answer: a.describeGoAway(),
        'CONTINUATION frames at answer': a.sentAtGoAway ?? -1,
        'rss growth MiB': mib(growth),
        'honest ok': served.ok,
      })
      expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
      expect(a.describeGoAway()).toContain(reason)
      const expected = size === 16 ? maxContinuationFrames + 1 : Math.ceil((maxHeaderBlockSize - 3) / size)
      expect(a.sentAtGoAway!).toBeGreaterThanOrEqual(expected)
      expect(a.sentAtGoAway!).toBeLessThanOrEqual(expected + 1)
      expect(after.attackHandled).toBe(before.attackHandled)
      expect(growth).toBeLessThan(64 * MiB)
      expect(served.failed).toEqual([])
    })
  }

  it(`slow: one CONTINUATION every 100 ms → GOAWAY ENHANCE_YOUR_CALM after headerBlockTimeout (${HEADER_BLOCK_TIMEOUT} ms)`, async () => {
    let sent = 0
    const started = Date.now()
    const { a, before, after, served } = await attack(async (a) => {
      const block = a.hpack.encode(request('/attack'))
      await a.write(headersFrame(1, block.subarray(0, 2), Flags.END_STREAM))
      for (let i = 2; i < block.length && !a.done && Date.now() - started < 4000; i++) {
        await a.write(continuation(block.subarray(i, i + 1)))
        sent++
        await a.waitForInput(100)
      }
      // A long enough request that the block cannot end before the timeout.
      for (; !a.done && Date.now() - started < 4000; sent++) {
        await a.write(continuation(Uint8Array.of(0x40)))
        await a.waitForInput(100)
      }
    })
    report('CONTINUATION flood, slow', {
      limit: `headerBlockTimeout ${HEADER_BLOCK_TIMEOUT} ms (default ${DEFAULT_LIMITS.headerBlockTimeout})`,
      answer: a.describeGoAway(),
      'CONTINUATION frames sent': sent,
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('header-block-timeout')
    expect(sent).toBeLessThanOrEqual(maxContinuationFrames)
    expect(after.attackHandled).toBe(before.attackHandled)
    expect(served.failed).toEqual([])
  })
})

describe('header lists counted with 32 octets per field', () => {
  async function bombThenRequest(
    name: string,
    fields: (i: number) => HeaderField[],
    blocks: number,
    encode: (a: Attacker, i: number) => Uint8Array = (a, i) =>
      a.hpack.encode([...request('/attack'), ...fields(i)]),
  ) {
    let blockBytes = 0
    const { a, before, after, growth, served } = await attack(async (a) => {
      for (let i = 0; i < blocks; i++) {
        const block = encode(a, i)
        blockBytes += block.length
        await a.write(headersFrame(2 * i + 1, block, Flags.END_HEADERS | Flags.END_STREAM))
      }
      // The next valid request, encoded against the dynamic table the bombs left behind.
      await a.write(
        headersFrame(
          2 * blocks + 1,
          a.hpack.encode(request('/', [['x-after', 'bomb']])),
          Flags.END_HEADERS | Flags.END_STREAM,
        ),
      )
      await a.waitFor(() => a.responses.has(2 * blocks + 1) || a.done, 3000)
    })
    const statuses = [...a.responses.values()].map((f) => f.find(([n]) => n === ':status')?.[1])
    const decoded = blocks * fields(0).reduce((n, [k, v]) => n + k.length + v.length + 32, 0)
    report(name, {
      limit: `maxHeaderListSize ${maxHeaderListSize}`,
      answer: `${statuses.filter((s) => s === '431').length} × 431`,
      'wire bytes': blockBytes,
      'header-list bytes requested': decoded,
      'next request': a.responses.get(2 * blocks + 1)?.find(([n]) => n === ':status')?.[1] ?? 'none',
      'rss growth MiB': mib(growth),
      'honest ok': served.ok,
    })
    expect(statuses.filter((s) => s === '431')).toHaveLength(blocks)
    expect(a.responses.get(2 * blocks + 1)?.find(([n]) => n === ':status')?.[1]).toBe('200')
    expect(a.goAway).toBeUndefined()
    expect(after.attackHandled).toBe(before.attackHandled)
    expect(growth).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  }

  it('zero-length headers (CVE-2019-9516): 3,000 empty fields a request → 431 each; the next request is served', async () => {
    await bombThenRequest(
      'zero-length headers',
      () => Array.from({ length: 3000 }, (): HeaderField => ['', '']),
      200,
    )
  })

  it('HPACK bomb (CVE-2016-6581): one 4 KB table entry referenced 4,000 times a block → 431 each; the next request is served', async () => {
    const value = 'b'.repeat(4000)
    const refs = new Uint8Array(3999).fill(0x80 | 62) // §6.1: indexed field 62, the newest dynamic entry
    await bombThenRequest(
      'HPACK bomb',
      () => Array.from({ length: 4000 }, (): HeaderField => ['x-bomb', value]),
      150,
      (a, i) => {
        // The first block inserts the 4 KB entry (in both tables, through the encoder); every block then
        // references it 3,999 times more, raw (which changes no table). The request's own fields are all
        // in the table by then, so the entry stays the newest, at index 62.
        const head = a.hpack.encode(i === 0 ? [...request('/attack'), ['x-bomb', value]] : request('/attack'))
        const block = new Uint8Array(head.length + refs.length)
        block.set(head)
        block.set(refs, head.length)
        return block
      },
    )
  })
})
