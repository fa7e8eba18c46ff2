// Stream-id abuse (RFC 9113 §5.1.1): frames on idle, even, reused and decreasing ids, and a flood of new
// streams past the concurrency limit mixed with frames on closed ids. Each wrong id gets its RFC answer;
// the stream table never grows past SETTINGS_MAX_CONCURRENT_STREAMS.
import { ErrorCode, Flags } from '@h2ts/frames'
import { DEFAULT_LIMITS } from '@h2ts/streams'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Attacker,
  dataFrame,
  headersFrame,
  honestClient,
  MiB,
  mib,
  report,
  request,
  rst,
  type ServerUnderTest,
  startServer,
  windowUpdate,
} from './support.js'

const CONCURRENCY = 100
let server: ServerUnderTest
beforeAll(async () => {
  server = await startServer({ writeTimeout: 1000 })
})
afterAll(() => server?.stop())

describe('wrong stream ids get their RFC answer at the first frame', () => {
  const get = (a: Attacker, id: number) =>
    headersFrame(id, a.hpack.encode(request('/attack')), Flags.END_HEADERS | Flags.END_STREAM)
  for (const [name, code, frames] of [
    ['HEADERS on an even id (§5.1.1)', ErrorCode.PROTOCOL_ERROR, (a: Attacker) => [get(a, 2)]],
    ['a decreasing id (§5.1.1)', ErrorCode.PROTOCOL_ERROR, (a: Attacker) => [get(a, 5), get(a, 3)]],
    ['DATA on an idle stream (§5.1)', ErrorCode.PROTOCOL_ERROR, () => [dataFrame(7, Uint8Array.of(1))]],
    ['WINDOW_UPDATE on an idle stream (§5.1)', ErrorCode.PROTOCOL_ERROR, () => [windowUpdate(9, 1)]],
    ['RST_STREAM on an idle stream (§6.4)', ErrorCode.PROTOCOL_ERROR, () => [rst(11)]],
  ] as const) {
    it(`${name} → GOAWAY ${code}`, async () => {
      const a = await Attacker.connect(server.port)
      await a.write(frames(a))
      await a.waitFor(() => a.done, 3000)
      a.close()
      expect(a.goAway?.errorCode, a.describeGoAway()).toBe(code)
    })
  }

  it('a reused id, after its stream closed (§5.1) → GOAWAY STREAM_CLOSED', async () => {
    const a = await Attacker.connect(server.port)
    await a.write(get(a, 1))
    await a.waitFor(() => a.responses.has(1), 3000)
    await a.write(get(a, 1))
    await a.waitFor(() => a.done, 3000)
    a.close()
    expect(a.responses.get(1)?.find(([n]) => n === ':status')?.[1]).toBe('200')
    expect(a.goAway?.errorCode, a.describeGoAway()).toBe(ErrorCode.STREAM_CLOSED)
  })
})

describe('the stream table stays bounded', () => {
  it('slow requests up to the limit, then new streams and frames on closed ids at full speed', async () => {
    const before = await server.reset()
    const honest = honestClient(server.port)
    const a = await Attacker.connect(server.port)
    // Fill every slot with a request whose handler takes 2 s.
    const fill = a.requests(CONCURRENCY, '/attack/slow?ms=2000')
    await a.write(fill)
    const first = 2 * CONCURRENCY + 1
    const run = await a.flood({
      maxUnits: 500_000,
      maxMs: 2500,
      batch: (from, n) => {
        const out: Uint8Array[] = []
        for (let i = from; i < from + n; i++) {
          const id = first + 2 * i
          // A new stream over the limit (refused), then WINDOW_UPDATE and RST_STREAM on ids already used.
          out.push(headersFrame(id, a.hpack.encode(request('/attack')), Flags.END_HEADERS | Flags.END_STREAM))
          out.push(windowUpdate(id, 1), rst(id - 2))
        }
        return out
      },
    })
    await a.waitFor(() => a.done, 3000)
    const after = await server.stats()
    const served = await honest.stop()
    a.close()
    const refused = a.received.filter(
      (f) => f.type === 0x3 && (f as { errorCode: number }).errorCode === ErrorCode.REFUSED_STREAM,
    ).length
    report('stream-id flood', {
      limit: `maxConcurrentStreams ${CONCURRENCY}; resetBurst ${DEFAULT_LIMITS.resetBurst}; maxRecentlyReset ${DEFAULT_LIMITS.maxRecentlyReset}`,
      answer: a.describeGoAway(),
      'new streams at answer': a.sentAtGoAway ?? -1,
      'REFUSED_STREAM received': refused,
      'largest stream table': after.maxActiveStreams,
      'rss growth MiB': mib(after.peakRss - before.rss),
      'honest ok': served.ok,
    })
    expect(refused).toBeGreaterThan(0)
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    // Resetting the slow requests frees their engine slots but not their handlers': the adapter refuses
    // what comes next and then gives up on the connection (handlers-busy); or the resets run out first.
    expect(a.describeGoAway()).toMatch(/handlers-busy|reset-flood/)
    expect(after.maxActiveStreams).toBeLessThanOrEqual(CONCURRENCY)
    expect(after.maxRunning).toBeLessThanOrEqual(CONCURRENCY)
    expect(after.peakRss - before.rss).toBeLessThan(64 * MiB)
    expect(run.units).toBeLessThanOrEqual(DEFAULT_LIMITS.resetBurst + 400)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  })
})
