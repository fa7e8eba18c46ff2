// RFC 9113 §5.1 (stream states), §5.1.1 (stream identifiers) and §5.1.2 (concurrency), with a server under
// test: each case puts a stream in a state, sends the frame the rule is about, and checks the exact answer.
import { ErrorCode, FrameType, SettingId } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../src/index.js'
import {
  data,
  headers,
  ofType,
  priority,
  pushPromise,
  rstStream,
  serverUnderTest,
  type TestPeer,
  windowUpdate,
} from '../support/frames.js'

const ok200 = [[':status', '200']] as const

/** Stream 1 in half-closed (local): the request is still open, our response has ended. */
function halfClosedLocal(): TestPeer {
  const t = serverUnderTest()
  t.open(1, { method: 'POST' })
  t.conn.sendHeaders(1, [...ok200], { endStream: true })
  t.read()
  expect(t.conn.streamState(1)).toBe('half-closed-local')
  return t
}

/** Stream 1 closed by END_STREAM both ways. */
function closedByEndStream(): TestPeer {
  const t = serverUnderTest()
  t.open(1, { eos: true })
  t.conn.sendHeaders(1, [...ok200], { endStream: true })
  t.read()
  expect(ofType(t.events, 'streamClosed').map((e) => e.streamId)).toEqual([1])
  expect(t.conn.streamState(1)).toBe('closed')
  return t
}

/** Stream 1 closed by our RST_STREAM, a moment ago. */
function closedByOurReset(): TestPeer {
  const t = serverUnderTest()
  t.open(1, { method: 'POST' })
  t.conn.resetStream(1, ErrorCode.CANCEL)
  t.expectRst(1, ErrorCode.CANCEL)
  return t
}

describe('5.1 idle', () => {
  it('5.1 idle: HEADERS opens the stream (open)', () => {
    const t = serverUnderTest()
    const events = t.open(1, { method: 'POST' })
    expect(ofType(events, 'headersReceived')).toMatchObject([
      { streamId: 1, kind: 'request', endStream: false },
    ])
    expect(t.conn.streamState(1)).toBe('open')
    t.expectNothing()
  })

  it('5.1 idle: HEADERS with END_STREAM → half-closed (remote)', () => {
    const t = serverUnderTest()
    const events = t.open(1, { eos: true })
    expect(ofType(events, 'headersReceived')).toMatchObject([{ streamId: 1, endStream: true }])
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
    t.expectNothing()
  })

  it('5.1 idle: DATA → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(data(1, 'hello'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1 idle: RST_STREAM → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(rstStream(1, ErrorCode.CANCEL))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1 idle: WINDOW_UPDATE → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(windowUpdate(1, 100))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1 idle: PRIORITY is accepted and leaves the stream idle (it does not use up the id)', () => {
    const t = serverUnderTest()
    t.send(priority(5, { dependency: 0, weight: 100 }))
    t.expectNothing()
    expect(t.conn.streamState(5)).toBe('idle')
    // Stream 3 is still usable: PRIORITY on 5 did not close the lower ids.
    expect(ofType(t.open(3, { eos: true }), 'headersReceived')).toHaveLength(1)
    expect(ofType(t.open(5, { eos: true }), 'headersReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it('5.1 idle: DATA on an idle stream above an open one → GOAWAY PROTOCOL_ERROR, last-stream-id 1', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(data(3, 'x'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
    expect(ofType(t.events, 'streamReset')).toMatchObject([{ streamId: 1, code: ErrorCode.PROTOCOL_ERROR }])
  })

  it('5.1 idle: WINDOW_UPDATE on an idle even (server-initiated) stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(windowUpdate(2, 1))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('8.4 PUSH_PROMISE from a client → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(pushPromise(1, 2).request('GET', '/pushed'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })
})

describe('5.1 open', () => {
  it('5.1 open: DATA is delivered; DATA with END_STREAM → half-closed (remote)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const first = t.send(data(1, 'abc'))
    expect(ofType(first, 'dataReceived').map((e) => new TextDecoder().decode(e.data))).toEqual(['abc'])
    expect(t.conn.streamState(1)).toBe('open')
    const last = t.send(data(1, 'def').eos())
    expect(ofType(last, 'dataReceived')).toMatchObject([{ streamId: 1, endStream: true }])
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
    t.expectNothing()
  })

  it('5.1 open: RST_STREAM → closed, reported as a remote reset, nothing written', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(rstStream(1, ErrorCode.CANCEL))
    expect(ofType(events, 'streamReset')).toMatchObject([
      { streamId: 1, code: ErrorCode.CANCEL, origin: 'remote', retryable: false },
    ])
    expect(ofType(events, 'streamClosed').map((e) => e.streamId)).toEqual([1])
    expect(t.conn.streamState(1)).toBe('closed')
    t.expectNothing()
  })

  it('5.1 open: RST_STREAM drops what we had queued on the stream', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.conn.sendHeaders(1, [...ok200])
    t.conn.sendData(1, new Uint8Array(100))
    t.send(rstStream(1, ErrorCode.CANCEL))
    t.expectNothing()
  })

  it('5.1 open: WINDOW_UPDATE and PRIORITY are accepted', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(windowUpdate(1, 1000), priority(1, { dependency: 0, weight: 1 }))
    t.expectNothing()
    expect(t.conn.streamState(1)).toBe('open')
    expect(t.conn.sendWindow(1)).toBe(65535) // the connection window is the smaller one
  })

  it('5.3.1 open: PRIORITY making the stream depend on itself → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(priority(1, { dependency: 1 }))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('5.3.1 idle: HEADERS making the new stream depend on itself → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('GET', '/').eos().priority({ dependency: 1 }))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    t.expectAlive()
  })

  it('5.1 open: trailers with END_STREAM → half-closed (remote)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(
      headers(1)
        .fields([['x-checksum', 'abc']])
        .eos(),
    )
    expect(ofType(events, 'headersReceived')).toMatchObject([
      { streamId: 1, kind: 'trailers', endStream: true },
    ])
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
    t.expectNothing()
  })
})

describe('5.1 half-closed (remote)', () => {
  it('5.1 half-closed (remote): DATA → RST_STREAM STREAM_CLOSED', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(data(1, 'late'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
    t.expectAlive()
  })

  it('5.1 half-closed (remote): HEADERS → RST_STREAM STREAM_CLOSED', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(
      headers(1)
        .fields([['x-late', '1']])
        .eos(),
    )
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
    t.expectAlive()
  })

  it('5.1 half-closed (remote): WINDOW_UPDATE is accepted and lets the response go on', () => {
    const t = serverUnderTest({ peerSettings: { initialWindowSize: 5 } })
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [...ok200])
    t.conn.sendData(1, new Uint8Array(8), { endStream: true })
    const before = t.read().filter((f) => f.type === FrameType.DATA)
    expect(before.map((f) => (f as { data: Uint8Array }).data.length)).toEqual([5])
    t.send(windowUpdate(1, 3))
    const after = t.read().filter((f) => f.type === FrameType.DATA)
    expect(after.map((f) => [(f as { data: Uint8Array }).data.length, f.flags])).toEqual([[3, 1]])
    expect(t.conn.streamState(1)).toBe('closed')
  })

  it('5.1 half-closed (remote): RST_STREAM → closed', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    const events = t.send(rstStream(1, ErrorCode.CANCEL))
    expect(ofType(events, 'streamReset')).toMatchObject([{ streamId: 1, origin: 'remote' }])
    expect(t.conn.streamState(1)).toBe('closed')
    t.expectNothing()
  })

  it('5.1 half-closed (remote): PRIORITY is accepted', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(priority(1, { dependency: 0, weight: 256 }))
    t.expectNothing()
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
  })

  it('5.1 half-closed (remote): our END_STREAM → closed', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [...ok200], { endStream: true })
    const frames = t.read()
    expect(frames.map((f) => [f.type, f.streamId, f.flags & 1])).toEqual([[FrameType.HEADERS, 1, 1]])
    expect(frames[0]?.fields).toEqual([[':status', '200']])
    expect(t.conn.streamState(1)).toBe('closed')
  })
})

describe('5.1 half-closed (local)', () => {
  it('5.1 half-closed (local): DATA is delivered; END_STREAM → closed', () => {
    const t = halfClosedLocal()
    expect(ofType(t.send(data(1, 'body')), 'dataReceived')).toHaveLength(1)
    const events = t.send(data(1, '').eos())
    expect(ofType(events, 'streamClosed').map((e) => e.streamId)).toEqual([1])
    expect(t.conn.streamState(1)).toBe('closed')
    t.expectNothing()
  })

  it('5.1 half-closed (local): trailers with END_STREAM → closed', () => {
    const t = halfClosedLocal()
    t.send(
      headers(1)
        .fields([['x-t', '1']])
        .eos(),
    )
    expect(t.conn.streamState(1)).toBe('closed')
    t.expectNothing()
  })

  it('5.1 half-closed (local): RST_STREAM → closed; WINDOW_UPDATE and PRIORITY accepted', () => {
    const t = halfClosedLocal()
    t.send(windowUpdate(1, 10), priority(1, { dependency: 0 }))
    t.expectNothing()
    expect(t.conn.streamState(1)).toBe('half-closed-local')
    t.send(rstStream(1, ErrorCode.NO_ERROR))
    expect(t.conn.streamState(1)).toBe('closed')
    t.expectNothing()
  })
})

describe('5.1 closed', () => {
  it('5.1 closed (END_STREAM both ways): DATA → RST_STREAM STREAM_CLOSED', () => {
    const t = closedByEndStream()
    t.send(data(1, 'x'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
    t.expectAlive()
  })

  it('5.1 closed (END_STREAM both ways): HEADERS → GOAWAY STREAM_CLOSED', () => {
    const t = closedByEndStream()
    t.send(headers(1).request('GET', '/again').eos())
    t.expectGoAway(ErrorCode.STREAM_CLOSED, 1)
  })

  it('5.1 closed (END_STREAM both ways): WINDOW_UPDATE, RST_STREAM and PRIORITY are ignored', () => {
    const t = closedByEndStream()
    t.send(windowUpdate(1, 100), rstStream(1, ErrorCode.CANCEL), priority(1, { dependency: 0 }))
    t.expectNothing()
    t.expectAlive()
  })

  it('5.1 closed by our RST_STREAM a moment ago: DATA is ignored', () => {
    const t = closedByOurReset()
    const events = t.send(data(1, 'in flight'), data(1, 'more').eos())
    expect(ofType(events, 'dataReceived')).toEqual([])
    t.expectNothing()
    t.expectAlive()
  })

  it('5.1 closed by our RST_STREAM a moment ago: HEADERS is ignored, but its block still updates HPACK', () => {
    const t = closedByOurReset()
    t.send(
      headers(1)
        .fields([['x-trace', 'abcdef']])
        .eos(),
    )
    t.expectNothing()
    expect(t.hpack.tableLength).toBeGreaterThan(0)
    // Stream 3 reuses the dynamic-table entry the ignored block created: the engine must have decoded it.
    const events = t.open(3, { eos: true, extra: [['x-trace', 'abcdef']] })
    const [req] = ofType(events, 'headersReceived')
    expect(req?.fields).toContainEqual(['x-trace', 'abcdef'])
    t.expectNothing()
  })

  it('5.1 closed by our RST_STREAM a moment ago: WINDOW_UPDATE and RST_STREAM are ignored', () => {
    const t = closedByOurReset()
    t.send(windowUpdate(1, 1), rstStream(1, ErrorCode.CANCEL), priority(1, { dependency: 0 }))
    t.expectNothing()
    t.expectAlive()
  })

  it('6.9 DATA on a stream we reset still counts toward the connection window (and is given back)', () => {
    const t = closedByOurReset()
    // 3 frames of 16000: 48000 > 65535 / 2, so the connection window is released with a WINDOW_UPDATE.
    t.send(data(1, 16000), data(1, 16000), data(1, 16000))
    const frames = t.expectNoError()
    expect(frames.map((f) => [f.type, f.streamId, (f as { increment?: number }).increment])).toEqual([
      [FrameType.WINDOW_UPDATE, 0, 48000],
    ])
  })

  it('5.1 closed by our RST_STREAM long ago (past resetStreamGrace): DATA → RST_STREAM STREAM_CLOSED', () => {
    const t = closedByOurReset()
    t.clock.advance(DEFAULT_LIMITS.resetStreamGrace + 1)
    t.send(data(1, 'very late'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
  })

  it('5.1 closed by our RST_STREAM long ago (past resetStreamGrace): HEADERS → GOAWAY STREAM_CLOSED', () => {
    const t = closedByOurReset()
    t.clock.advance(DEFAULT_LIMITS.resetStreamGrace + 1)
    t.send(
      headers(1)
        .fields([['x-t', '1']])
        .eos(),
    )
    t.expectGoAway(ErrorCode.STREAM_CLOSED, 1)
  })

  it('5.1 closed by our RST_STREAM, within resetStreamGrace (option): still ignored at the edge', () => {
    const t = serverUnderTest({ limits: { resetStreamGrace: 500 } })
    t.open(1, { method: 'POST' })
    t.conn.resetStream(1)
    t.read()
    t.clock.advance(500)
    t.send(data(1, 'x'))
    t.expectNothing()
    t.clock.advance(1)
    t.send(data(1, 'x'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
  })

  it('5.1 closed by the peer RST_STREAM: DATA → RST_STREAM STREAM_CLOSED', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(rstStream(1, ErrorCode.CANCEL))
    t.send(data(1, 'after reset'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
  })

  it('5.1 closed by the peer RST_STREAM: HEADERS → RST_STREAM STREAM_CLOSED (a stream error, not GOAWAY)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(rstStream(1, ErrorCode.CANCEL))
    t.send(
      headers(1)
        .fields([['x-t', '1']])
        .eos(),
    )
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
  })
})

describe('5.1.1 stream identifiers', () => {
  it('5.1.1 a client HEADERS on an even stream id → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(2).request('GET', '/').eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1.1 HEADERS with a lower stream id than an earlier one → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(5, { eos: true })
    t.send(headers(3).request('GET', '/').eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 5)
  })

  it('5.1.1 HEADERS with a lower stream id is at least a connection error (GOAWAY, last-stream-id 5)', () => {
    const t = serverUnderTest()
    t.open(5, { eos: true })
    t.send(headers(3).request('GET', '/').eos())
    const frames = t.read()
    const goaway = frames.find((f) => f.type === FrameType.GOAWAY) as { lastStreamId: number } | undefined
    expect(goaway?.lastStreamId).toBe(5)
    expect(t.conn.error?.scope).toBe('connection')
  })

  it('5.1.1 long after 2,000 streams came and went, HEADERS on the first still gets STREAM_CLOSED, and on a skipped id PROTOCOL_ERROR', () => {
    // Closed streams are not remembered one by one; skipped ids are (as ranges), so neither answer fades.
    /** Opens each stream with a request that ends at once, and answers it: each closes. */
    const serve = (peer: TestPeer, ids: number[]) => {
      for (const id of ids) {
        peer.open(id, { eos: true })
        peer.conn.sendHeaders(id, [...ok200], { endStream: true })
        peer.read()
      }
    }
    const oddFrom = (first: number, last: number) =>
      Array.from({ length: (last - first) / 2 + 1 }, (_, k) => first + 2 * k)
    const t = serverUnderTest()
    serve(t, [1, ...oddFrom(5, 4003)])
    t.send(headers(1).request('GET', '/again').eos())
    t.expectGoAway(ErrorCode.STREAM_CLOSED, 4003)
    const u = serverUnderTest()
    serve(u, [1, ...oddFrom(5, 4005)])
    u.send(headers(3).request('GET', '/').eos())
    u.expectGoAway(ErrorCode.PROTOCOL_ERROR)
  })

  it('5.1.1 opening stream 5 implicitly closes idle streams 1 and 3', () => {
    const t = serverUnderTest()
    t.open(5, { eos: true })
    expect(t.conn.streamState(1)).toBe('closed')
    expect(t.conn.streamState(3)).toBe('closed')
    expect(t.conn.streamState(7)).toBe('idle')
  })

  it('5.1.1 the largest stream id 2^31-1 can be opened', () => {
    const t = serverUnderTest()
    const events = t.open(0x7fffffff, { eos: true })
    expect(ofType(events, 'headersReceived')).toMatchObject([{ streamId: 0x7fffffff }])
    t.expectNothing()
  })
})

describe('5.1.2 stream concurrency', () => {
  it('5.1.2 SETTINGS_MAX_CONCURRENT_STREAMS is advertised in our SETTINGS (default 100)', () => {
    expect(serverUnderTest().engineSettings).toContainEqual({
      id: SettingId.MAX_CONCURRENT_STREAMS,
      value: 100,
    })
    const t = serverUnderTest({ settings: { maxConcurrentStreams: 2 } })
    expect(t.engineSettings).toContainEqual({ id: SettingId.MAX_CONCURRENT_STREAMS, value: 2 })
  })

  it('5.1.2 a stream over SETTINGS_MAX_CONCURRENT_STREAMS → RST_STREAM REFUSED_STREAM (retryable)', () => {
    const t = serverUnderTest({ settings: { maxConcurrentStreams: 2 } })
    t.open(1, { method: 'POST' })
    t.open(3, { eos: true }) // half-closed (remote) counts too
    const events = t.open(5, { eos: true })
    expect(ofType(events, 'headersReceived')).toEqual([])
    expect(ofType(events, 'streamReset')).toMatchObject([
      { streamId: 5, code: ErrorCode.REFUSED_STREAM, origin: 'local', retryable: true },
    ])
    t.expectRst(5, ErrorCode.REFUSED_STREAM)
    expect(t.conn.streamState(1)).toBe('open')
    expect(t.conn.streamState(3)).toBe('half-closed-remote')
  })

  it('5.1.2 a refused stream does not count, and DATA already sent on it is ignored', () => {
    const t = serverUnderTest({ settings: { maxConcurrentStreams: 1 } })
    t.open(1, { method: 'POST' })
    t.send(headers(3).request('POST', '/'), data(3, 'body').eos())
    t.expectRst(3, ErrorCode.REFUSED_STREAM)
    // Closing stream 1 frees its slot: stream 5 is accepted.
    t.send(data(1, '').eos())
    t.conn.sendHeaders(1, [...ok200], { endStream: true })
    t.read()
    expect(ofType(t.open(5, { eos: true }), 'headersReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it('5.1.2 SETTINGS_MAX_CONCURRENT_STREAMS 0: every stream is refused', () => {
    const t = serverUnderTest({ settings: { maxConcurrentStreams: 0 } })
    t.open(1, { eos: true })
    t.expectRst(1, ErrorCode.REFUSED_STREAM)
    t.expectAlive()
  })
})
