// RFC 9113 §6.9 flow control: receive windows (stream and connection, padding included), WINDOW_UPDATE
// validity and overflow, the batching of our WINDOW_UPDATEs, and how our DATA is cut to the send windows.
import { ErrorCode, FrameType, type WindowUpdateFrame } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import {
  data,
  framesOf,
  ofType,
  type ReadFrame,
  raw,
  serverUnderTest,
  settings,
  type TestPeer,
  windowUpdate,
} from '../support/frames.js'

const MAX = 2 ** 31 - 1

const updates = (frames: ReadFrame[]) =>
  framesOf<WindowUpdateFrame>(frames, FrameType.WINDOW_UPDATE).map((f) => [f.streamId, f.increment])

const dataOut = (frames: ReadFrame[]) =>
  framesOf<{ type: 0; flags: number; streamId: number; data: Uint8Array }>(frames, FrameType.DATA).map(
    (f) => [f.streamId, f.data.length],
  )

/** A server whose stream receive window is `window` (acknowledged), with stream 1 open for a body. */
function smallWindow(window: number): TestPeer {
  const t = serverUnderTest({ settings: { initialWindowSize: window } })
  t.open(1, { method: 'POST' })
  return t
}

describe('6.9.1 receive windows', () => {
  it('6.9.1 DATA filling the stream window exactly is accepted', () => {
    const t = smallWindow(100)
    expect(ofType(t.send(data(1, 100)), 'dataReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it('6.9.1 DATA beyond the stream window → RST_STREAM FLOW_CONTROL_ERROR', () => {
    const t = smallWindow(100)
    const events = t.send(data(1, 60), data(1, 41))
    expect(ofType(events, 'dataReceived').map((e) => e.data.length)).toEqual([60])
    expect(ofType(events, 'streamReset')).toMatchObject([
      { streamId: 1, code: ErrorCode.FLOW_CONTROL_ERROR, origin: 'local' },
    ])
    t.expectRst(1, ErrorCode.FLOW_CONTROL_ERROR)
    t.expectAlive()
  })

  it('6.9.1 DATA beyond the connection window → GOAWAY FLOW_CONTROL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.open(3, { method: 'POST' })
    // 3 × 16384 on stream 1, then 16384 on stream 3: 65536 > 65535, though each stream is within its window.
    t.send(data(1, 16384), data(1, 16384), data(1, 16384))
    t.expectNothing()
    t.send(data(3, 16384))
    t.expectGoAway(ErrorCode.FLOW_CONTROL_ERROR, 3)
  })

  it('6.9.1 padding counts toward the stream window: 50 + 49 padding + 1 fills 100 exactly', () => {
    const t = smallWindow(100)
    const events = t.send(data(1, 50).padded(49))
    expect(ofType(events, 'dataReceived').map((e) => e.data.length)).toEqual([50])
    // No error; the 50 octets of padding (and pad length) are given straight back to the stream.
    expect(updates(t.expectNoError()).filter(([id]) => id === 1)).toEqual([[1, 50]])
  })

  it('6.9.1 padding counts toward the stream window: one octet more → RST_STREAM FLOW_CONTROL_ERROR', () => {
    const t = smallWindow(100)
    t.send(data(1, 50).padded(50))
    t.expectRst(1, ErrorCode.FLOW_CONTROL_ERROR)
  })

  it('6.9.1 padding counts toward the connection window → GOAWAY FLOW_CONTROL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.open(3, { method: 'POST' })
    t.send(data(1, 16384), data(1, 16384), data(1, 16384))
    // 49152 + 16128 = 65280 fits; with 255 padding + 1 it is 65536 (and the frame is 16384 octets).
    t.send(data(3, 16128).padded(255))
    t.expectGoAway(ErrorCode.FLOW_CONTROL_ERROR, 3)
  })

  it('6.9.1 padding is released on the connection at once (WINDOW_UPDATE on stream 0)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    // 200 frames of 1 octet + 200 padding: 40200 flow-controlled octets, 40000 of them padding.
    const frames = Array.from({ length: 200 }, () => data(1, 1).padded(199))
    t.send(...frames)
    const ups = updates(t.expectNoError())
    expect(ups.filter(([id]) => id === 0).length).toBe(1)
    // The stream gets its padding back too, batched (half a 65,535 window at a time), not per frame.
    const stream = ups.filter(([id]) => id === 1)
    expect(stream.length).toBe(1)
    expect(stream[0]![1]).toBeGreaterThanOrEqual(32768)
  })

  it('6.9.1 padding is given back to the stream window too (a padding peer does not stall)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    let flow = 0
    for (let i = 0; i < 255; i++) {
      const frame = data(1, 1).padded(254)
      flow += frame.flowLength
      for (const e of t.send(frame)) if (e.type === 'dataReceived') t.conn.consumed(1, e.data.length)
    }
    expect(flow).toBe(65280)
    const released = updates(t.expectNoError())
      .filter(([id]) => id === 1)
      .reduce((sum, [, inc]) => sum + (inc ?? 0), 0)
    // The peer's stream window is 65535 - 65280 + released: it must not be left at 255.
    expect(released).toBeGreaterThanOrEqual(32768)
  })

  it('6.9.2 connectionWindowSize: announced with WINDOW_UPDATE on stream 0 after SETTINGS, and honoured', () => {
    const t = serverUnderTest({ connectionWindowSize: 200_000 })
    expect(t.handshakeFrames.map((f) => f.type).slice(0, 3)).toEqual([
      FrameType.SETTINGS,
      FrameType.SETTINGS, // the ACK of the peer's SETTINGS is urgent
      FrameType.WINDOW_UPDATE,
    ])
    expect(updates(t.handshakeFrames)).toEqual([[0, 200_000 - 65535]])
    for (const id of [1, 3, 5, 7]) t.open(id, { method: 'POST' })
    // 4 streams × 3 × 16384 = 196608 ≤ 200000, far past 65535.
    for (const id of [1, 3, 5, 7]) t.send(data(id, 16384), data(id, 16384), data(id, 16384))
    t.expectNoError()
    t.send(data(1, 16384))
    t.expectGoAway(ErrorCode.FLOW_CONTROL_ERROR, 7)
  })
})

describe('6.9 WINDOW_UPDATE', () => {
  it('6.9.1 WINDOW_UPDATE taking a stream window past 2^31-1 → RST_STREAM FLOW_CONTROL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(windowUpdate(1, MAX - 65535))
    t.expectNothing()
    t.send(windowUpdate(1, 1))
    t.expectRst(1, ErrorCode.FLOW_CONTROL_ERROR)
    t.expectAlive()
  })

  it('6.9.1 WINDOW_UPDATE taking the connection window past 2^31-1 → GOAWAY FLOW_CONTROL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(windowUpdate(0, MAX - 65535))
    t.expectNothing()
    t.send(windowUpdate(0, 1))
    t.expectGoAway(ErrorCode.FLOW_CONTROL_ERROR, 1)
  })

  it('6.9 WINDOW_UPDATE with increment 0 on an open stream → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(windowUpdate(1, 0))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    t.expectAlive()
  })

  it('6.9 WINDOW_UPDATE with increment 0 on the connection → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(windowUpdate(0, 0))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1/6.9 WINDOW_UPDATE with increment 0 on an idle stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(windowUpdate(1, 0))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.9 WINDOW_UPDATE with a payload of 3 octets → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(raw(FrameType.WINDOW_UPDATE, 0, 1, Uint8Array.of(0, 0, 1)))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 1)
  })

  it('6.9 the reserved bit of the increment is ignored', () => {
    const t = serverUnderTest({ peerSettings: { initialWindowSize: 0 } })
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(10), { endStream: true })
    t.read()
    t.send(raw(FrameType.WINDOW_UPDATE, 0, 1, Uint8Array.of(0x80, 0, 0, 4)))
    expect(dataOut(t.read())).toEqual([[1, 4]])
  })
})

describe('6.9 releasing window: WINDOW_UPDATE batching', () => {
  it('6.9 consumed() of small amounts sends no WINDOW_UPDATE per frame; one per half window', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    for (let i = 0; i < 32; i++) {
      for (const e of t.send(data(1, 1000))) if (e.type === 'dataReceived') t.conn.consumed(1, e.data.length)
    }
    // 32000 < 65535 / 2: nothing yet.
    t.expectNothing()
    for (const e of t.send(data(1, 1000))) if (e.type === 'dataReceived') t.conn.consumed(1, e.data.length)
    expect(updates(t.read()).sort()).toEqual([
      [0, 33000],
      [1, 33000],
    ])
    // The windows really are back: another 65535 - 33000 + 33000 = 65535 octets fit on the stream.
    t.send(data(1, 16384), data(1, 16384), data(1, 16384), data(1, 16383))
    t.expectNoError()
  })

  it('6.9 DATA not yet consumed keeps the window closed (no WINDOW_UPDATE before consumed())', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(data(1, 16384), data(1, 16384), data(1, 16384))
    t.expectNothing()
    t.conn.consumed(1, 16384 * 3)
    expect(updates(t.read()).sort()).toEqual([
      [0, 49152],
      [1, 49152],
    ])
  })

  it('6.9 after END_STREAM, consumed() releases only the connection window', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(data(1, 16384), data(1, 16384), data(1, 1000).eos())
    t.conn.consumed(1, 16384 * 2 + 1000)
    expect(updates(t.read())).toEqual([[0, 33768]])
  })
})

describe('6.9 sending within the windows', () => {
  it('6.9.1 our DATA waits for the stream window; WINDOW_UPDATE resumes it (windowUpdated)', () => {
    const t = serverUnderTest({ peerSettings: { initialWindowSize: 0 } })
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(30), { endStream: true })
    expect(t.read().map((f) => f.type)).toEqual([FrameType.HEADERS])
    const events = t.send(windowUpdate(1, 20))
    expect(ofType(events, 'windowUpdated').map((e) => e.streamId)).toEqual([1])
    expect(dataOut(t.read())).toEqual([[1, 20]])
    t.send(windowUpdate(1, 20))
    expect(dataOut(t.read())).toEqual([[1, 10]])
    expect(t.conn.streamState(1)).toBe('closed')
  })

  it('6.9.1 our DATA is cut to the connection window; WINDOW_UPDATE on stream 0 resumes it', () => {
    const t = serverUnderTest({ peerSettings: { initialWindowSize: 1 << 20 } })
    t.open(1, { eos: true })
    t.open(3, { eos: true })
    for (const id of [1, 3]) {
      t.conn.sendHeaders(id, [[':status', '200']])
      t.conn.sendData(id, new Uint8Array(40000), { endStream: true })
    }
    const sent = dataOut(t.read()).reduce((sum, [, n]) => sum + (n ?? 0), 0)
    expect(sent).toBe(65535)
    const events = t.send(windowUpdate(0, 14465))
    expect(ofType(events, 'windowUpdated').length).toBeGreaterThan(0)
    expect(dataOut(t.read()).reduce((sum, [, n]) => sum + (n ?? 0), 0)).toBe(14465)
    expect(t.conn.activeStreams).toBe(0)
  })

  it('6.9.2 a SETTINGS_INITIAL_WINDOW_SIZE of 0 from the start: HEADERS go, DATA waits', () => {
    const t = serverUnderTest()
    t.send(settings({ initialWindowSize: 0 }))
    t.read()
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(5), { endStream: true })
    expect(t.read().map((f) => f.type)).toEqual([FrameType.HEADERS])
    expect(t.conn.bufferedAmount(1)).toBe(5)
  })
})
