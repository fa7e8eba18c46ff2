// RFC 9113 §6.7 PING and §6.8 GOAWAY, including the graceful two-step shutdown (GOAWAY 2^31-1, a PING round
// trip, then GOAWAY with the last stream id).
import { ErrorCode, Flags, FrameType, type GoAwayFrame, type PingFrame } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import {
  data,
  framesOf,
  goAway,
  headers,
  ofType,
  ping,
  raw,
  serverUnderTest,
  type TestPeer,
  windowUpdate,
} from '../support/frames.js'

const MAX_ID = 2 ** 31 - 1

describe('6.7 PING', () => {
  it('6.7 PING → PING ACK with the same payload', () => {
    const t = serverUnderTest()
    const payload = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3)
    expect(t.send(ping(payload))).toEqual([])
    const frames = t.read()
    expect(frames.map((f) => [f.type, f.flags, f.streamId, [...(f as PingFrame).data]])).toEqual([
      [FrameType.PING, Flags.ACK, 0, [...payload]],
    ])
  })

  it('6.7 the PING ACK goes out ahead of queued DATA', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(1000), { endStream: true })
    t.send(ping())
    expect(t.read().map((f) => f.type)).toEqual([FrameType.PING, FrameType.HEADERS, FrameType.DATA])
  })

  it('6.7 an unsolicited PING ACK is ignored', () => {
    const t = serverUnderTest()
    expect(t.send(ping('unasked!').ack())).toEqual([])
    t.expectNothing()
    t.expectAlive()
  })

  it('6.7 our PING: its ACK is reported with the round-trip time on the engine clock', () => {
    const t = serverUnderTest()
    const payload = t.conn.ping()
    const sent = framesOf<PingFrame>(t.read(), FrameType.PING)
    expect(sent.map((f) => [f.flags, [...f.data]])).toEqual([[0, [...payload]]])
    t.clock.advance(25)
    const events = t.send(ping(payload).ack())
    expect(ofType(events, 'pingAcknowledged')).toMatchObject([{ rtt: 25 }])
    expect([...ofType(events, 'pingAcknowledged')[0]!.data]).toEqual([...payload])
    // A second ACK of the same payload is now unsolicited.
    expect(t.send(ping(payload).ack())).toEqual([])
    t.expectNothing()
  })

  it('6.7 a PING ACK with a payload we did not send is ignored', () => {
    const t = serverUnderTest()
    t.conn.ping(Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1))
    t.read()
    expect(t.send(ping(Uint8Array.of(2, 2, 2, 2, 2, 2, 2, 2)).ack())).toEqual([])
  })

  it('6.7 PING of 7 octets → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.PING, 0, 0, Uint8Array.of(1, 2, 3, 4, 5, 6, 7)))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 0)
  })

  it('6.7 PING on stream 1 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.PING, 0, 1, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })
})

describe('6.8 GOAWAY from the peer', () => {
  it('6.8 GOAWAY is reported; streams already open finish; then the connection is finished', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    const events = t.send(goAway(0, ErrorCode.NO_ERROR, 'going'))
    expect(ofType(events, 'goAwayReceived')).toMatchObject([{ lastStreamId: 0, code: ErrorCode.NO_ERROR }])
    expect(new TextDecoder().decode(ofType(events, 'goAwayReceived')[0]!.debugData)).toBe('going')
    expect(t.conn.finished).toBe(false)
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    expect(t.read().map((f) => f.type)).toEqual([FrameType.HEADERS])
    expect(ofType(t.events, 'connectionFinished')).toHaveLength(1)
    expect(t.conn.finished).toBe(true)
  })

  it('6.8 GOAWAY with an error code carries it to the application', () => {
    const t = serverUnderTest()
    const events = t.send(goAway(0, ErrorCode.ENHANCE_YOUR_CALM))
    expect(ofType(events, 'goAwayReceived')).toMatchObject([{ code: ErrorCode.ENHANCE_YOUR_CALM }])
    expect(t.conn.finished).toBe(true)
    t.expectNothing()
  })

  it('6.8 GOAWAY on stream 1 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.GOAWAY, 0, 1, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0)))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.8 GOAWAY shorter than 8 octets → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.GOAWAY, 0, 0, Uint8Array.of(0, 0, 0, 0)))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 0)
  })
})

/** A server with stream 1 open (request body pending) that has completed a graceful shutdown. */
function shutDown(): { t: TestPeer; pingPayload: Uint8Array } {
  const t = serverUnderTest()
  t.open(1, { method: 'POST' })
  t.conn.shutdown()
  const frames = t.read()
  const pingFrame = framesOf<PingFrame>(frames, FrameType.PING)[0]!
  return { t, pingPayload: pingFrame.data }
}

describe('6.8 graceful shutdown (two-step GOAWAY)', () => {
  it('6.8 shutdown(): GOAWAY(2^31-1, NO_ERROR) and a PING; after the PING ACK, GOAWAY(last stream)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.conn.shutdown()
    const first = t.read()
    expect(first.map((f) => f.type)).toEqual([FrameType.GOAWAY, FrameType.PING])
    expect(first[0]).toMatchObject({ lastStreamId: MAX_ID, errorCode: ErrorCode.NO_ERROR })
    // A request the client sent before it saw the first GOAWAY is still processed.
    expect(ofType(t.open(3, { method: 'POST' }), 'headersReceived')).toHaveLength(1)
    const payload = (first[1] as PingFrame).data
    t.send(ping(payload).ack())
    const second = t.read()
    expect(framesOf<GoAwayFrame>(second, FrameType.GOAWAY).map((g) => [g.lastStreamId, g.errorCode])).toEqual(
      [[3, ErrorCode.NO_ERROR]],
    )
    expect(t.conn.finished).toBe(false)
  })

  it('6.8 after the final GOAWAY, open streams finish and the connection then finishes', () => {
    const { t, pingPayload } = shutDown()
    t.send(ping(pingPayload).ack())
    t.read()
    t.send(data(1, 'body').eos())
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    t.read()
    expect(ofType(t.events, 'connectionFinished')).toHaveLength(1)
    expect(t.conn.finished).toBe(true)
  })

  it('6.8 shutdown() with no streams: finished once the PING comes back', () => {
    const t = serverUnderTest()
    t.conn.shutdown()
    const payload = framesOf<PingFrame>(t.read(), FrameType.PING)[0]!.data
    expect(t.conn.finished).toBe(false)
    t.send(ping(payload).ack())
    const frames = t.read()
    expect(framesOf<GoAwayFrame>(frames, FrameType.GOAWAY).map((g) => g.lastStreamId)).toEqual([0])
    expect(t.conn.finished).toBe(true)
  })

  it('6.8 after the final GOAWAY, new streams are ignored, but their header blocks still update HPACK', () => {
    const { t, pingPayload } = shutDown()
    t.send(ping(pingPayload).ack())
    t.read()
    const events = t.send(
      headers(3)
        .request('GET', '/', [['x-trace', 'abcdef']])
        .eos(),
    )
    expect(ofType(events, 'headersReceived')).toEqual([])
    t.expectNothing()
    // Trailers on stream 1 reuse the entry the ignored block added: the engine must have decoded it.
    const trailers = t.send(
      headers(1)
        .fields([['x-trace', 'abcdef']])
        .eos(),
    )
    expect(ofType(trailers, 'headersReceived')).toMatchObject([{ streamId: 1, kind: 'trailers' }])
    expect(ofType(trailers, 'headersReceived')[0]?.fields).toEqual([['x-trace', 'abcdef']])
  })

  it('6.8 a connection error after the final GOAWAY does not raise the last-stream-id', () => {
    const { t, pingPayload } = shutDown()
    t.send(ping(pingPayload).ack())
    expect(framesOf<GoAwayFrame>(t.read(), FrameType.GOAWAY).map((g) => g.lastStreamId)).toEqual([1])
    t.send(headers(3).request('GET', '/').eos())
    t.send(windowUpdate(0, 0))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })

  it('6.8 a second goAway() does not raise the last-stream-id', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.conn.goAway(ErrorCode.NO_ERROR)
    t.expectGoAway(ErrorCode.NO_ERROR, 1)
    expect(ofType(t.open(3, { eos: true }), 'headersReceived')).toEqual([])
    t.conn.goAway(ErrorCode.INTERNAL_ERROR)
    t.expectGoAway(ErrorCode.INTERNAL_ERROR, 1)
  })

  it('6.8 goAway(): GOAWAY with the last processed stream; that stream still completes', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.open(3, { method: 'POST' })
    t.conn.goAway(ErrorCode.NO_ERROR, 'maintenance')
    const g = t.expectGoAway(ErrorCode.NO_ERROR, 3)
    expect(new TextDecoder().decode(g.debugData)).toBe('maintenance')
    expect(ofType(t.send(data(3, 'x').eos()), 'dataReceived')).toHaveLength(1)
    expect(ofType(t.open(5, { eos: true }), 'headersReceived')).toEqual([])
    t.expectNothing()
  })

  it('6.8 goAway() with an error code ends the connection at once', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.goAway(ErrorCode.INTERNAL_ERROR)
    const frames = t.read()
    expect(framesOf<GoAwayFrame>(frames, FrameType.GOAWAY).map((g) => [g.lastStreamId, g.errorCode])).toEqual(
      [[1, ErrorCode.INTERNAL_ERROR]],
    )
    expect(t.conn.finished).toBe(true)
  })
})

describe('5.4.1 connection errors', () => {
  it('5.4.1 a connection error: GOAWAY names the last stream processed, every stream is reset, once finished', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.open(3, { eos: true })
    const events = t.send(windowUpdate(0, 0))
    expect(ofType(events, 'streamReset').map((e) => [e.streamId, e.code])).toEqual([
      [1, ErrorCode.PROTOCOL_ERROR],
      [3, ErrorCode.PROTOCOL_ERROR],
    ])
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 3)
    // Nothing more is processed.
    expect(t.send(headers(5).request('GET', '/').eos())).toEqual([])
    t.expectNothing()
  })

  it('5.4.1 a connection error: connectionFailed, then exactly one connectionFinished', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(windowUpdate(0, 0))
    const tail = events.filter((e) => e.type === 'connectionFailed' || e.type === 'connectionFinished')
    expect(tail.map((e) => e.type)).toEqual(['connectionFailed', 'connectionFinished'])
  })

  it('5.4.1 a connection error with no streams: connectionFailed, then exactly one connectionFinished', () => {
    const t = serverUnderTest()
    const events = t.send(windowUpdate(0, 0))
    const tail = events.filter((e) => e.type === 'connectionFailed' || e.type === 'connectionFinished')
    expect(tail.map((e) => e.type)).toEqual(['connectionFailed', 'connectionFinished'])
  })
})
