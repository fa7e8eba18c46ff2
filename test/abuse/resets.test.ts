// Resets as a weapon: Rapid Reset (CVE-2023-44487), provoked resets "MadeYouReset" (CVE-2025-8671), and a
// reset flood against a server whose answers are never read (CVE-2019-9514). An attacker on a raw socket
// floods at full speed while an honest node:http2 client is served beside it.
import { ErrorCode, Flags, SettingId } from '@h2ts/frames'
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
  report,
  request,
  rst,
  type ServerUnderTest,
  startServer,
  windowUpdate,
} from './support.js'

const CONCURRENCY = 100
const { resetBurst, resetRate } = DEFAULT_LIMITS

let server: ServerUnderTest
beforeAll(async () => {
  server = await startServer({ writeTimeout: 1000 })
})
afterAll(() => server?.stop())

/** Runs an attack beside an honest client; returns the attacker and the server's stats. */
const attack = <T>(flood: (a: Attacker) => Promise<T>, options: AttackOptions = {}) =>
  attackBeside(server, flood, options)

describe('Rapid Reset (CVE-2023-44487)', () => {
  it('HEADERS + RST_STREAM at full speed → GOAWAY ENHANCE_YOUR_CALM within the reset budget; honest client served', async () => {
    const { a, run, before, after, served } = await attack((a) =>
      a.flood({
        maxUnits: 200_000,
        maxMs: 3000,
        batch: (first, n) => {
          const out: Uint8Array[] = []
          for (let i = first; i < first + n; i++) {
            const id = 2 * i + 1
            out.push(
              headersFrame(id, a.hpack.encode(request('/attack')), Flags.END_HEADERS | Flags.END_STREAM),
            )
            out.push(rst(id))
          }
          return out
        },
      }),
    )
    const growth = after.peakRss - before.rss
    report('rapid reset', {
      limit: `resetBurst ${resetBurst} + ${resetRate}/s`,
      answer: a.describeGoAway(),
      'pairs sent at answer': a.sentAtGoAway ?? -1,
      'attack ms': run.ms,
      'rss growth MiB': mib(growth),
      'max handlers': after.maxRunning,
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('reset-flood')
    // The budget plus what refilled during the attack, plus one batch in flight.
    expect(a.sentAtGoAway!).toBeLessThanOrEqual(resetBurst + (resetRate * run.ms) / 1000 + 100)
    expect(a.sentAtGoAway!).toBeGreaterThanOrEqual(resetBurst / 2)
    expect(growth).toBeLessThan(64 * MiB)
    expect(after.maxRunning).toBeLessThanOrEqual(CONCURRENCY)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  })

  it('resets of slow handlers: a slot is freed only when its handler finishes; past the limit, refused, then ENHANCE_YOUR_CALM', async () => {
    const { a, run, before, after, served } = await attack((a) =>
      a.flood({
        maxUnits: 200_000,
        maxMs: 3000,
        batchSize: 20,
        batch: (first, n) => {
          const out: Uint8Array[] = []
          for (let i = first; i < first + n; i++) {
            const id = 2 * i + 1
            const block = a.hpack.encode(request('/attack/slow?ms=2000'))
            out.push(headersFrame(id, block, Flags.END_HEADERS | Flags.END_STREAM))
            out.push(rst(id))
          }
          return out
        },
      }),
    )
    report('rapid reset, slow handlers', {
      limit: `${CONCURRENCY} running handlers, then ${CONCURRENCY} refusals`,
      answer: a.describeGoAway(),
      'pairs sent at answer': a.sentAtGoAway ?? -1,
      'max handlers (script)': after.maxRunning,
      'max handlers (adapter)': after.maxAdapterRunning,
      'rss growth MiB': mib(after.peakRss - before.rss),
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('handlers-busy')
    expect(a.sentAtGoAway!).toBeLessThanOrEqual(2 * CONCURRENCY + 1 + 20)
    expect(after.maxAdapterRunning).toBeLessThanOrEqual(CONCURRENCY)
    expect(after.maxRunning).toBeLessThanOrEqual(CONCURRENCY + 2) // + the honest client's own
    expect(after.peakRss - before.rss).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
    expect(run.units).toBeGreaterThan(0)
  })
})

describe('MadeYouReset (CVE-2025-8671)', () => {
  it('valid requests followed by frames that make us reset them → resets we send spend the same budget', async () => {
    const post = (a: Attacker, id: number, extra: Array<[string, string]> = []) =>
      headersFrame(
        id,
        a.hpack.encode(
          [...request('/attack/echo'), ...extra].map(
            ([k, v]) => [k === ':method' ? k : k, k === ':method' ? 'POST' : v] as [string, string],
          ),
        ),
      )
    const { a, run, before, after, served } = await attack((a) =>
      a.flood({
        maxUnits: 200_000,
        maxMs: 3000,
        batch: (first, n) => {
          const out: Uint8Array[] = []
          for (let i = first; i < first + n; i++) {
            const id = 2 * i + 1
            switch (i % 4) {
              case 0: // WINDOW_UPDATE with increment 0: stream PROTOCOL_ERROR (§6.9)
                out.push(post(a, id), windowUpdate(id, 0))
                break
              case 1: // a window past 2^31-1: stream FLOW_CONTROL_ERROR (§6.9.1)
                out.push(post(a, id), windowUpdate(id, 0x7fffffff))
                break
              case 2: // DATA after END_STREAM: stream STREAM_CLOSED (§5.1)
                out.push(
                  post(a, id),
                  dataFrame(id, Uint8Array.of(1), Flags.END_STREAM),
                  dataFrame(id, Uint8Array.of(2)),
                )
                break
              default: // more DATA than content-length: malformed, PROTOCOL_ERROR (§8.1.1)
                out.push(
                  post(a, id, [['content-length', '1']]),
                  dataFrame(id, Uint8Array.of(1, 2, 3), Flags.END_STREAM),
                )
            }
          }
          return out
        },
      }),
    )
    const resets = a.received.filter((f) => f.type === 0x3).length
    report('MadeYouReset', {
      limit: `resetBurst ${resetBurst} + ${resetRate}/s (sent and received)`,
      answer: a.describeGoAway(),
      'requests sent at answer': a.sentAtGoAway ?? -1,
      'RST_STREAM received': resets,
      'rss growth MiB': mib(after.peakRss - before.rss),
      'max handlers': after.maxRunning,
      'honest ok': served.ok,
    })
    expect(a.goAway?.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(a.describeGoAway()).toContain('reset-flood')
    expect(resets).toBeGreaterThanOrEqual(resetBurst / 2)
    expect(a.sentAtGoAway!).toBeLessThanOrEqual(resetBurst + (resetRate * run.ms) / 1000 + 100)
    expect(after.peakRss - before.rss).toBeLessThan(64 * MiB)
    expect(after.maxRunning).toBeLessThanOrEqual(CONCURRENCY + 2)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  })
})

describe('reset flood against a client that never reads (CVE-2019-9514)', () => {
  it('provoked RST_STREAMs unread → the connection is closed, memory bounded', async () => {
    const { a, run, before, after, served } = await attack(
      (a) =>
        a.flood({
          maxUnits: 2_000_000,
          maxMs: 2500,
          batchSize: 500,
          syncEvery: Number.MAX_SAFE_INTEGER,
          // A request with no :path: malformed, answered with RST_STREAM PROTOCOL_ERROR (§8.3.1).
          batch: (first, n) => {
            const out: Uint8Array[] = []
            for (let i = first; i < first + n; i++) {
              out.push(
                headersFrame(
                  2 * i + 1,
                  a.hpack.encode([[':method', 'GET']]),
                  Flags.END_HEADERS | Flags.END_STREAM,
                ),
              )
            }
            return out
          },
        }),
      { noRead: true, settings: [{ id: SettingId.INITIAL_WINDOW_SIZE, value: 65535 }] },
    )
    await a.waitFor(() => a.closed, 3000)
    report('reset flood, unread', {
      limit: `resetBurst ${resetBurst}; maxQueuedControlFrames ${DEFAULT_LIMITS.maxQueuedControlFrames}; writeTimeout 1000 ms`,
      answer: a.closed ? 'connection closed' : 'still open',
      'server saw': JSON.stringify(after.reasons),
      'requests sent': run.units,
      'rss growth MiB': mib(after.peakRss - before.rss),
      'honest ok': served.ok,
    })
    expect(a.closed).toBe(true)
    expect(after.reasons['reset-flood'] ?? after.reasons['control-frame-flood']).toBeGreaterThan(0)
    expect(after.peakRss - before.rss).toBeLessThan(64 * MiB)
    expect(served.failed).toEqual([])
    expect(served.ok).toBeGreaterThan(0)
  })
})
