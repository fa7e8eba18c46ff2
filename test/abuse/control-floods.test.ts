// Floods of frames that cost work and give nothing back: PING and SETTINGS against a client that never reads
// (CVE-2019-9512, CVE-2019-9515), empty frames (CVE-2019-9518), PRIORITY on idle ids and dependency shuffles
// (CVE-2019-9513). An attacker on a raw socket floods at full speed; an honest client is served beside it.
import { ErrorCode, encodeFrame, Flags, FrameType } from '@h2ts/frames'
import { DEFAULT_LIMITS } from '@h2ts/streams'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Attacker,
  type AttackOptions,
  attackBeside,
  dataFrame,
  headersFrame,
  MiB,
  mib,
  ping,
  report,
  request,
  type ServerUnderTest,
  startServer,
} from './support.js'

let server: ServerUnderTest
beforeAll(async () => {
  server = await startServer({ writeTimeout: 1000 })
})
afterAll(() => server?.stop())

const attack = <T>(flood: (a: Attacker) => Promise<T>, options: AttackOptions = {}) =>
  attackBeside(server, flood, options)

const { maxQueuedControlFrames, maxEmptyFrames, priorityBurst, priorityRate } = DEFAULT_LIMITS

describe('control frames against a client that never reads', () => {
  const settingsFrame = encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] })
  for (const [name, unit] of [
    ['ping flood (CVE-2019-9512)', (i: number) => ping(i)],
    ['settings flood (CVE-2019-9515)', () => settingsFrame],
  ] as const) {
    it(`${name}: answers queue up to maxQueuedControlFrames, then the connection is closed`, async () => {
      const { a, run, growth, after, served } = await attack(
        (a) =>
          a.flood({
            maxUnits: 5_000_000,
            maxMs: 2500,
            batchSize: 2000,
            syncEvery: Number.MAX_SAFE_INTEGER,
            batch: (first, n) => Array.from({ length: n }, (_, k) => unit(first + k)),
          }),
        { noRead: true },
      )
      report(name, {
        limit: `maxQueuedControlFrames ${maxQueuedControlFrames}, writeTimeout 1000 ms`,
        answer: a.closed ? 'connection closed' : 'still open',
        'server saw': JSON.stringify(after.reasons),
        'frames sent': run.units,
        'attack ms': run.ms,
        'rss growth MiB': mib(growth),
        'honest ok': served.ok,
      })
      expect(a.closed).toBe(true)
      expect(after.reasons['control-frame-flood']).toBe(1)
      expect(growth).toBeLessThan(64 * MiB)
      expect(served.failed).toEqual([])
      expect(served.ok).toBeGreaterThan(0)
    })
  }
})

describe('empty frames (CVE-2019-9518)', () => {
  it('zero-length DATA without END_STREAM at full speed → GOAWAY ENHANCE_YOUR_CALM after maxEmptyFrames', async () => {
    const empty = new Uint8Array(0)
    const { a, growth, after, served } = await attack(async (a) => {
      const post = request('/attack/echo').map(([k, v]): [string, string] => [
        k,
        k === ':method' ? 'POST' : v,
      ])
      await a.write(headersFrame(1, a.hpack.encode(post)))
      return a.flood({
        maxUnits: 1_000_000,
        maxMs: 2500,
        batchSize: 100,
        batch: (_, n) => Array.from({ length: n }, () => dataFrame(1, empty)),
      })
    })
    report('empty DATA', {
      limit: `maxEmptyFrames ${maxEmptyFrames}`,
      answer: a.describeGoAway(),
      'frames sent at answer': a.sentAtGoAway ?? -1,
      'rss growth MiB': mib(growth),
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('empty-frame-flood')
    expect(a.sentAtGoAway!).toBeGreaterThan(maxEmptyFrames)
    expect(a.sentAtGoAway!).toBeLessThanOrEqual(maxEmptyFrames + 100)
    expect(growth).toBeLessThan(64 * MiB)
    expect(after.attackHandled).toBeGreaterThan(0) // the stream was a real request
    expect(served.failed).toEqual([])
  })

  it('empty HEADERS and CONTINUATION fragments across many header blocks → ENHANCE_YOUR_CALM after maxEmptyFrames', async () => {
    const empty = new Uint8Array(0)
    const { a, growth, served } = await attack((a) =>
      a.flood({
        maxUnits: 1_000_000,
        maxMs: 2500,
        batchSize: 1,
        syncEvery: 5,
        // One unit: an empty HEADERS, 30 empty CONTINUATIONs, and an empty CONTINUATION that ends the block
        // (an empty header list: a malformed request, reset).
        batch: (first) => {
          const id = 2 * first + 1
          const out = [headersFrame(id, empty, Flags.END_STREAM)]
          for (let k = 0; k < 30; k++)
            out.push(encodeFrame({ type: FrameType.CONTINUATION, flags: 0, streamId: id, fragment: empty }))
          out.push(
            encodeFrame({
              type: FrameType.CONTINUATION,
              flags: Flags.END_HEADERS,
              streamId: id,
              fragment: empty,
            }),
          )
          return out
        },
      }),
    )
    const emptyFramesSent = (a.sentAtGoAway ?? 0) * 31
    report('empty HEADERS/CONTINUATION', {
      limit: `maxEmptyFrames ${maxEmptyFrames}`,
      answer: a.describeGoAway(),
      'empty frames sent at answer': emptyFramesSent,
      'rss growth MiB': mib(growth),
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('empty-frame-flood')
    expect(emptyFramesSent).toBeGreaterThan(maxEmptyFrames)
    expect(emptyFramesSent).toBeLessThanOrEqual(maxEmptyFrames + 5 * 31)
    expect(growth).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
  })
})

describe('PRIORITY (CVE-2019-9513)', () => {
  it('PRIORITY frames on idle ids with dependency shuffles → bounded state, then ENHANCE_YOUR_CALM', async () => {
    let x = 12345
    const rand = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      return x % n
    }
    const { a, run, growth, served } = await attack((a) =>
      a.flood({
        maxUnits: 2_000_000,
        maxMs: 2500,
        batchSize: 100,
        batch: (first, n) =>
          Array.from({ length: n }, (_, k) => {
            const i = first + k
            // New idle streams, each depending on a random earlier one, some exclusively: a tree that
            // reshuffles with every frame if one is kept.
            const streamId = rand(4) === 0 ? 2 * rand(i + 1) + 1 : 2 * i + 1
            const dependency = 2 * rand(i + 1) + 1
            return encodeFrame({
              type: FrameType.PRIORITY,
              flags: 0,
              streamId,
              priority: {
                dependency: dependency === streamId ? 0 : dependency,
                weight: 1 + rand(255),
                exclusive: rand(2) === 0,
              },
            })
          }),
      }),
    )
    report('priority flood', {
      limit: `priorityBurst ${priorityBurst} + ${priorityRate}/s`,
      answer: a.describeGoAway(),
      'frames sent at answer': a.sentAtGoAway ?? -1,
      'attack ms': run.ms,
      'rss growth MiB': mib(growth),
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('priority-flood')
    expect(a.sentAtGoAway!).toBeGreaterThan(priorityBurst)
    expect(a.sentAtGoAway!).toBeLessThanOrEqual(priorityBurst + (priorityRate * run.ms) / 1000 + 100)
    expect(growth).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  })
})
