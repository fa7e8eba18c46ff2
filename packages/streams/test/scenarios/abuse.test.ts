// Abuse limits (DESIGN.md "Errors"; RFC 9113 §10.5): a peer that makes us queue control frames faster than it
// reads them is answered with GOAWAY ENHANCE_YOUR_CALM at the exact frame that crosses the limit.
import { ErrorCode, Flags, FrameType } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../src/index.js'
import {
  continuation,
  data,
  headers,
  ping,
  priority,
  requestFields,
  rstStream,
  serverUnderTest,
  settings,
  windowUpdate,
} from '../support/frames.js'

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

// The exact frame at which each budget answers. Socket-level versions, with an honest client beside the
// attacker and memory measured, are in test/abuse/.
describe('reset budget (Rapid Reset CVE-2023-44487, MadeYouReset CVE-2025-8671)', () => {
  const goawayAt = (t: ReturnType<typeof serverUnderTest>, step: (i: number) => void, max: number) => {
    for (let i = 0; i < max; i++) {
      step(i)
      if (t.conn.error !== undefined) return i + 1
    }
    return -1
  }

  it('HEADERS + RST_STREAM: resetBurst resets pass, the next → GOAWAY ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest({ limits: { resetBurst: 20, resetRate: 0 } })
    const at = goawayAt(
      t,
      (i) =>
        t.send(
          headers(2 * i + 1)
            .request('GET', '/')
            .eos(),
          rstStream(2 * i + 1),
        ),
      100,
    )
    expect(at).toBe(21)
    expect(t.conn.error?.reason).toBe('reset-flood')
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 41)
  })

  it('resets we are provoked into spend the same budget (WINDOW_UPDATE 0, DATA after END_STREAM)', () => {
    const t = serverUnderTest({ limits: { resetBurst: 10, resetRate: 0 } })
    const at = goawayAt(
      t,
      (i) => {
        const id = 2 * i + 1
        if (i % 2 === 0) t.send(headers(id).request('POST', '/'), windowUpdate(id, 0))
        else t.send(headers(id).request('GET', '/').eos(), data(id, 'x'))
      },
      100,
    )
    expect(at).toBe(11)
    expect(t.conn.error?.reason).toBe('reset-flood')
  })

  it('the bucket refills: resetRate per second keeps an honest client that cancels now and then going', () => {
    const t = serverUnderTest({ limits: { resetBurst: 5, resetRate: 10 } })
    for (let i = 0; i < 50; i++) {
      t.send(
        headers(2 * i + 1)
          .request('GET', '/')
          .eos(),
        rstStream(2 * i + 1),
      )
      t.clock.advance(100) // 10 a second: exactly the refill rate
    }
    t.expectAlive()
  })
})

describe('empty frames (CVE-2019-9518)', () => {
  it('maxEmptyFrames zero-length DATA pass; one more → GOAWAY ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest({ limits: { maxEmptyFrames: 10 } })
    t.open(1, { eos: false })
    t.send(...Array.from({ length: 10 }, () => data(1, '')))
    t.expectNoError()
    t.send(data(1, ''))
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 1)
    expect(t.conn.error?.reason).toBe('empty-frame-flood')
  })

  it('DATA with content starts the count again; an empty DATA with END_STREAM is not counted', () => {
    const t = serverUnderTest({ limits: { maxEmptyFrames: 10 } })
    t.open(1, { eos: false })
    for (let i = 0; i < 5; i++) t.send(...Array.from({ length: 10 }, () => data(1, '')), data(1, 'x'))
    t.send(data(1, '').eos())
    t.expectNoError()
  })

  it('empty CONTINUATION fragments count across header blocks', () => {
    const t = serverUnderTest({ limits: { maxEmptyFrames: 10 } })
    // Each block: empty HEADERS + 4 empty CONTINUATION (5 empty frames), ended by a non-empty one.
    for (let b = 0; b < 2; b++) {
      const id = 2 * b + 1
      const block = t.encodeBlock(requestFields('GET', '/'))
      t.send(headers(id).block(new Uint8Array(0)).noEndHeaders().eos())
      t.send(...Array.from({ length: 4 }, () => continuation(id)))
      if (b === 0) {
        t.send(continuation(id, block).endHeaders())
        t.expectNoError()
      }
    }
    // The first block's last CONTINUATION carried the whole block: the count started again at 0 there.
    t.expectNoError()
    const u = serverUnderTest({ limits: { maxEmptyFrames: 10 } })
    u.send(headers(1).block(new Uint8Array(0)).noEndHeaders().eos())
    u.send(...Array.from({ length: 10 }, () => continuation(1)))
    u.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
  })
})

describe('PRIORITY flood (CVE-2019-9513)', () => {
  it('priorityBurst PRIORITY frames on idle ids pass; one more → GOAWAY ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest({ limits: { priorityBurst: 50, priorityRate: 0 } })
    t.send(
      ...Array.from({ length: 50 }, (_, i) =>
        priority(2 * i + 1, { dependency: i === 0 ? 0 : 2 * i - 1, exclusive: true }),
      ),
    )
    t.expectNoError()
    t.send(priority(101, { dependency: 3 }))
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
    expect(t.conn.error?.reason).toBe('priority-flood')
  })
})

describe('header block timeout (slow CONTINUATION)', () => {
  it('a header block still open after headerBlockTimeout → GOAWAY ENHANCE_YOUR_CALM at tick()', () => {
    const t = serverUnderTest({ limits: { headerBlockTimeout: 1000 } })
    const block = t.encodeBlock(requestFields('GET', '/'))
    t.send(headers(1).block(block.subarray(0, 1)).noEndHeaders().eos())
    expect(t.conn.nextDeadline()).toBe(t.clock.time + 1000)
    t.clock.advance(999)
    t.send(continuation(1, block.subarray(1, 2)))
    expect(t.tick()).toEqual([])
    t.clock.advance(1)
    t.tick()
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
    expect(t.conn.error?.reason).toBe('header-block-timeout')
  })

  it('a block finished in time leaves no deadline behind', () => {
    const t = serverUnderTest({ limits: { headerBlockTimeout: 1000 } })
    const block = t.encodeBlock(requestFields('GET', '/'))
    t.send(
      headers(1).block(block.subarray(0, 1)).noEndHeaders().eos(),
      continuation(1, block.subarray(1)).endHeaders(),
    )
    expect(t.conn.nextDeadline()).toBeUndefined()
    t.clock.advance(5000)
    t.tick()
    t.expectAlive()
  })
})

describe('data dribble (CVE-2019-9511)', () => {
  const respond = (t: ReturnType<typeof serverUnderTest>, size: number) => {
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(size))
  }
  const dataSizes = (frames: ReturnType<ReturnType<typeof serverUnderTest>['read']>) =>
    frames.filter((f) => f.type === FrameType.DATA).map((f) => (f as { data: Uint8Array }).data.length)

  it('1-byte stream WINDOW_UPDATEs: no DATA until the window reaches minDataFrameSize', () => {
    const t = serverUnderTest({
      peerSettings: { initialWindowSize: 4096 },
      limits: { minDataFrameSize: 1024 },
    })
    respond(t, 100_000)
    expect(dataSizes(t.read())).toEqual([4096])
    const sizes: number[] = []
    for (let i = 0; i < 3000; i++) {
      t.send(windowUpdate(1, 1))
      sizes.push(...dataSizes(t.read()))
    }
    expect(sizes).toEqual([1024, 1024])
  })

  it('1-byte connection WINDOW_UPDATEs: the same on the connection window', () => {
    const t = serverUnderTest({ limits: { minDataFrameSize: 1024 } })
    respond(t, 200_000)
    expect(dataSizes(t.read()).reduce((a, b) => a + b, 0)).toBe(65535)
    t.send(windowUpdate(1, 1_000_000))
    const sizes: number[] = []
    for (let i = 0; i < 2100; i++) {
      t.send(windowUpdate(0, 1))
      sizes.push(...dataSizes(t.read()))
    }
    expect(sizes).toEqual([1024, 1024])
  })

  it('a real WINDOW_UPDATE is used at once, however small the window (a peer with small windows is served)', () => {
    const t = serverUnderTest({
      peerSettings: { initialWindowSize: 100 },
      limits: { minDataFrameSize: 1024 },
    })
    respond(t, 1000)
    expect(dataSizes(t.read())).toEqual([100])
    t.send(windowUpdate(1, 100))
    expect(dataSizes(t.read())).toEqual([100])
    // Half the initial window is what "tiny" means for it: 10-byte increments wait for 50.
    for (let i = 0; i < 4; i++) {
      t.send(windowUpdate(1, 10))
      expect(dataSizes(t.read())).toEqual([])
    }
    t.send(windowUpdate(1, 10))
    expect(dataSizes(t.read())).toEqual([50])
  })
})
