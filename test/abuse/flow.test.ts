// Flow-control abuse: the data dribble (CVE-2019-9511: tiny windows, 1-byte WINDOW_UPDATEs) and internal
// data buffering / slow read (CVE-2019-9517: windows open, socket never read). Handlers are paused by
// backpressure, buffers stay capped, and a write timeout closes a connection that stopped reading.
import { FrameType, SettingId } from '@h2ts/frames'
import { DEFAULT_LIMITS } from '@h2ts/streams'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Attacker,
  honestClient,
  MiB,
  mib,
  report,
  type ServerUnderTest,
  startServer,
  windowUpdate,
} from './support.js'

const WRITE_TIMEOUT = 1000
let server: ServerUnderTest
beforeAll(async () => {
  server = await startServer({ writeTimeout: WRITE_TIMEOUT })
})
afterAll(() => server?.stop())

describe('data dribble (CVE-2019-9511)', () => {
  it('1-byte WINDOW_UPDATEs on the stream and the connection → DATA frames of at least minDataFrameSize, buffers capped', async () => {
    const STREAMS = 16
    const before = await server.reset()
    const honest = honestClient(server.port)
    // A 4 KiB stream window: 16 streams use up the 64 KiB connection window, then every window is dry.
    const a = await Attacker.connect(server.port, {
      settings: [{ id: SettingId.INITIAL_WINDOW_SIZE, value: 4096 }],
    })
    const open = a.requests(STREAMS, '/attack/big?bytes=4194304')
    await a.write(open)
    const dataBytes = () =>
      a.received.reduce(
        (n, f) => n + (f.type === FrameType.DATA ? (f as { data: Uint8Array }).data.length : 0),
        0,
      )
    await a.waitFor(() => dataBytes() >= 65535, 3000)
    const startAt = a.received.length
    const run = await a.flood({
      maxUnits: 300_000,
      maxMs: 2000,
      batchSize: 500,
      batch: (first, n) => {
        const out: Uint8Array[] = []
        for (let i = first; i < first + n; i++)
          out.push(windowUpdate(0, 1), windowUpdate(2 * (i % STREAMS) + 1, 1))
        return out
      },
    })
    await a.waitForInput(200)
    const after = await server.stats()
    const served = await honest.stop()
    a.close()
    const dribbled = a.received.slice(startAt).filter((f) => f.type === FrameType.DATA)
    const sizes = dribbled.map((f) => (f as { data: Uint8Array }).data.length)
    const smallest = Math.min(...sizes)
    report('data dribble', {
      limit: `minDataFrameSize ${DEFAULT_LIMITS.minDataFrameSize}; streamHighWaterMark ${DEFAULT_LIMITS.streamHighWaterMark}`,
      'WINDOW_UPDATE pairs sent': run.units,
      'DATA frames back': sizes.length,
      'smallest DATA': smallest,
      'DATA bytes back': sizes.reduce((n, x) => n + x, 0),
      'handler bytes written': after.bigBytesWritten - before.bigBytesWritten,
      'rss growth MiB': mib(after.peakRss - before.rss),
      'honest ok': served.ok,
    })
    expect(a.goAway).toBeUndefined()
    expect(sizes.length).toBeGreaterThan(10) // the dribble did move data
    // A frame shorter than minDataFrameSize is only ever the tail of one of the handler's 16 KiB writes
    // (frames are cut at write boundaries), never a sliver of a dribbled window: at most one per write.
    const dribbledBytes = sizes.reduce((n, x) => n + x, 0)
    const short = sizes.filter((x) => x < DEFAULT_LIMITS.minDataFrameSize).length
    expect(short).toBeLessThanOrEqual(Math.ceil(dribbledBytes / 16384) + STREAMS)
    expect(sizes.length).toBeLessThanOrEqual((2 * run.units) / DEFAULT_LIMITS.minDataFrameSize + STREAMS)
    // Each handler is held by backpressure: what it wrote is what went out plus about two buffers.
    expect(after.bigBytesWritten - before.bigBytesWritten).toBeLessThan(STREAMS * 512 * 1024)
    expect(after.peakRss - before.rss).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
  })
})

describe('slow read (CVE-2019-9517)', () => {
  it('windows wide open, socket never read → handlers paused, buffers capped, closed after writeTimeout', async () => {
    const STREAMS = 10
    const before = await server.reset()
    const honest = honestClient(server.port)
    const a = await Attacker.connect(server.port, {
      noRead: true,
      settings: [{ id: SettingId.INITIAL_WINDOW_SIZE, value: 0x7fffffff }],
    })
    const frames = [
      windowUpdate(0, 0x7fffffff - 65535),
      ...a.requests(STREAMS, '/attack/big?bytes=268435456'),
    ]
    const started = Date.now()
    await a.write(frames)
    // A paused socket does not see the close: wait for the server to say it gave up, then read.
    let after = await server.stats()
    while (after.reasons['write-timeout'] === undefined && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      after = await server.stats()
    }
    const closedAfter = Date.now() - started
    a.socket.on('data', () => {})
    a.socket.resume()
    await a.waitFor(() => a.closed, 3000)
    const served = await honest.stop()
    a.close()
    const written = after.bigBytesWritten - before.bigBytesWritten
    report('slow read', {
      limit: `writeTimeout ${WRITE_TIMEOUT} ms (default 30 s)`,
      answer: a.closed ? `closed after ${closedAfter} ms` : 'still open',
      'server saw': JSON.stringify(after.reasons),
      'requested MiB': STREAMS * 256,
      'handler bytes written MiB': mib(written),
      'rss growth MiB': mib(after.peakRss - before.rss),
      'honest ok': served.ok,
    })
    expect(a.closed).toBe(true)
    expect(after.reasons['write-timeout']).toBe(1)
    expect(written).toBeLessThan(64 * MiB)
    expect(after.peakRss - before.rss).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  })
})
