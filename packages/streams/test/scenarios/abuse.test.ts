// Abuse limits (DESIGN.md "Errors"; RFC 9113 §10.5): a peer that makes us queue control frames faster than it
// reads them is answered with GOAWAY ENHANCE_YOUR_CALM at the exact frame that crosses the limit.
import { ErrorCode, Flags, FrameType } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../src/index.js'
import { headers, ping, serverUnderTest, settings } from '../support/frames.js'

const pings = (n: number) =>
  Array.from({ length: n }, (_, i) => ping(Uint8Array.of(0, 0, 0, 0, 0, 0, i >> 8, i & 0xff)))

describe('control-frame flood', () => {
  it('10.5 PINGs up to maxQueuedControlFrames unread are answered', () => {
    const t = serverUnderTest({ limits: { maxQueuedControlFrames: 10 } })
    t.send(...pings(10))
    const frames = t.expectNoError()
    expect(frames.filter((f) => f.type === FrameType.PING && f.flags & Flags.ACK)).toHaveLength(10)
  })

  it('10.5 one PING more than maxQueuedControlFrames unread → GOAWAY ENHANCE_YOUR_CALM (and nothing else)', () => {
    const t = serverUnderTest({ limits: { maxQueuedControlFrames: 10 } })
    t.open(1, { eos: true })
    t.send(...pings(11))
    const frames = t.read()
    expect(frames.map((f) => f.type)).toEqual([FrameType.GOAWAY])
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 1, frames)
  })

  it('10.5 the same PINGs read as they come are no flood', () => {
    const t = serverUnderTest({ limits: { maxQueuedControlFrames: 10 } })
    for (const p of pings(100)) {
      t.send(p)
      expect(t.read()).toHaveLength(1)
    }
    t.expectAlive()
  })

  it(`10.5 the default limit: ${DEFAULT_LIMITS.maxQueuedControlFrames} PINGs pass, one more → ENHANCE_YOUR_CALM`, () => {
    const t = serverUnderTest()
    t.send(...pings(DEFAULT_LIMITS.maxQueuedControlFrames))
    t.expectNoError()
    const u = serverUnderTest()
    u.send(...pings(DEFAULT_LIMITS.maxQueuedControlFrames + 1))
    u.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
  })

  it('10.5 a SETTINGS flood (each needs an ACK) → GOAWAY ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest({ limits: { maxQueuedControlFrames: 10 } })
    t.send(...Array.from({ length: 11 }, () => settings({ maxFrameSize: 16384 })))
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
  })

  it('10.5 PINGs and SETTINGS count together', () => {
    const t = serverUnderTest({ limits: { maxQueuedControlFrames: 10 } })
    t.send(...pings(5), ...Array.from({ length: 6 }, () => settings()))
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
  })

  it('10.5 RST_STREAMs we are provoked into (malformed requests) count too → ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest({ limits: { maxQueuedControlFrames: 10 } })
    const bad = Array.from({ length: 10 }, (_, i) =>
      headers(2 * i + 1)
        .fields([[':method', 'GET']])
        .eos(),
    )
    t.send(...bad)
    expect(t.read().filter((f) => f.type === FrameType.RST_STREAM)).toHaveLength(10)
    t.send(
      ...Array.from({ length: 11 }, (_, i) =>
        headers(2 * i + 21)
          .fields([[':method', 'GET']])
          .eos(),
      ),
    )
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM)
  })
})
