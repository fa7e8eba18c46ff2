// The client role: responses (§8.3.2) including 1xx (§8.1), what a server may not send (§5.1.1, §8.4),
// concurrency from the server's SETTINGS (§5.1.2) and GOAWAY (§6.8).
import { ErrorCode, FrameType, type HeadersFrame, SettingId } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { isUsageError } from '../../src/index.js'
import {
  clientUnderTest,
  data,
  framesOf,
  goAway,
  headers,
  ofType,
  pushPromise,
  requestFields,
  rstStream,
  settings,
  type TestPeer,
} from '../support/frames.js'

/** A client with one request sent on stream 1 (END_STREAM unless `body`). */
function requested(options: { method?: string; body?: boolean } = {}): TestPeer {
  const t = clientUnderTest()
  const id = t.conn.request(requestFields(options.method ?? 'GET', '/'), { endStream: options.body !== true })
  expect(id).toBe(1)
  const frames = framesOf<HeadersFrame>(t.read(), FrameType.HEADERS)
  expect(frames.map((f) => f.streamId)).toEqual([1])
  expect(t.conn.streamState(1)).toBe(options.body === true ? 'open' : 'half-closed-local')
  return t
}

describe('client: responses', () => {
  it('8.3.2 a response closes a request that had ended: half-closed (local) → closed', () => {
    const t = requested()
    const events = t.send(headers(1).response(200, [['content-type', 'text/plain']]), data(1, 'hi').eos())
    expect(ofType(events, 'headersReceived')).toMatchObject([
      { streamId: 1, kind: 'response', response: { status: 200 }, endStream: false },
    ])
    expect(ofType(events, 'streamClosed').map((e) => e.streamId)).toEqual([1])
    t.expectNothing()
  })

  it('8.1 1xx responses come first: 100 and 103 are informational, then the final 200', () => {
    const t = requested()
    const events = t.send(
      headers(1).response(100),
      headers(1).response(103, [['link', '</style.css>; rel=preload']]),
      headers(1).response(200).eos(),
    )
    expect(ofType(events, 'headersReceived').map((e) => [e.kind, e.response?.status])).toEqual([
      ['informational', 100],
      ['informational', 103],
      ['response', 200],
    ])
    t.expectNothing()
  })

  it('8.1 a 1xx response with END_STREAM → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(1).response(103).eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.6 a 101 response → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(1).response(101))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 DATA after a 1xx but before the final response → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(1).response(100), data(1, 'early'))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 DATA before any response HEADERS → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(data(1, 'early'))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    t.expectAlive()
  })

  it.each([
    ['without :status', [['content-type', 'text/plain']]],
    ['with a :status that is not 3 digits', [[':status', '20']]],
    [
      'with :status twice',
      [
        [':status', '200'],
        [':status', '200'],
      ],
    ],
    [
      'with a request pseudo-header',
      [
        [':status', '200'],
        [':path', '/'],
      ],
    ],
    [
      'with an uppercase field name',
      [
        [':status', '200'],
        ['Content-Type', 'x'],
      ],
    ],
    [
      'with a connection-specific field',
      [
        [':status', '200'],
        ['connection', 'keep-alive'],
      ],
    ],
    [
      'with a pseudo-header after a regular field',
      [
        ['server', 'x'],
        [':status', '200'],
      ],
    ],
  ] as const)('8.3.2 a response %s → RST_STREAM PROTOCOL_ERROR', (_, fields) => {
    const t = requested()
    t.send(headers(1).fields(fields).eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    t.expectAlive()
  })

  it('8.1.1 a response body shorter than content-length → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(1).response(200, [['content-length', '5']]), data(1, 'abc').eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1.1 a HEAD response with content-length and END_STREAM is fine (no content)', () => {
    const t = requested({ method: 'HEAD' })
    const events = t.send(
      headers(1)
        .response(200, [['content-length', '1000']])
        .eos(),
    )
    expect(ofType(events, 'headersReceived')).toHaveLength(1)
    t.expectNothing()
    expect(t.conn.streamState(1)).toBe('closed')
  })

  it('8.1.1 a 204 response carries no content: DATA after it → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(1).response(204), data(1, 'x').eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 trailers end the response; trailers without END_STREAM → RST_STREAM PROTOCOL_ERROR', () => {
    const ok = requested()
    const events = ok.send(
      headers(1).response(200),
      data(1, 'x'),
      headers(1)
        .fields([['grpc-status', '0']])
        .eos(),
    )
    expect(ofType(events, 'headersReceived').map((e) => e.kind)).toEqual(['response', 'trailers'])
    ok.expectNothing()
    const bad = requested()
    bad.send(headers(1).response(200), headers(1).fields([['grpc-status', '0']]))
    bad.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 a 1xx after the final response (pseudo-header in trailers) → RST_STREAM PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(1).response(200), headers(1).response(100).eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('5.1 half-closed (remote) on the client: DATA after the response ended → RST_STREAM STREAM_CLOSED', () => {
    const t = requested({ method: 'POST', body: true })
    t.send(headers(1).response(200).eos())
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
    t.send(data(1, 'more'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
  })

  it('5.1 closed on the client: DATA after the stream closed → RST_STREAM STREAM_CLOSED', () => {
    const t = requested()
    t.send(headers(1).response(200).eos())
    t.send(data(1, 'late'))
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
  })
})

describe('client: what a server may not send', () => {
  it('6.5.2 a client advertises SETTINGS_ENABLE_PUSH = 0', () => {
    expect(clientUnderTest().engineSettings).toContainEqual({ id: SettingId.ENABLE_PUSH, value: 0 })
  })

  it('8.4 PUSH_PROMISE while push is disabled → GOAWAY PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(pushPromise(1, 2).request('GET', '/pushed'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.5.2 SETTINGS_ENABLE_PUSH = 1 from a server → GOAWAY PROTOCOL_ERROR', () => {
    const t = clientUnderTest()
    t.send(settings({ enablePush: 1 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.5.2 SETTINGS_ENABLE_PUSH = 0 from a server is fine', () => {
    const t = clientUnderTest()
    t.send(settings({ enablePush: 0 }))
    t.expectNoError()
  })

  it('5.1.1 HEADERS from the server on an even idle stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(2).response(200).eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1.1 HEADERS from the server on an odd stream we never opened → GOAWAY PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(headers(3).response(200).eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1 DATA from the server on an idle stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = requested()
    t.send(data(5, 'x'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1 DATA on a request still waiting for concurrency (idle to the peer) → GOAWAY PROTOCOL_ERROR', () => {
    const t = clientUnderTest({ peerSettings: { maxConcurrentStreams: 1 } })
    t.conn.request(requestFields('GET', '/a'), { endStream: true })
    t.conn.request(requestFields('GET', '/b'), { endStream: true })
    expect(framesOf(t.read(), FrameType.HEADERS).map((f) => f.streamId)).toEqual([1])
    t.send(data(3, 'x'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('5.1 RST_STREAM on a request still waiting for concurrency (idle to the peer) → GOAWAY PROTOCOL_ERROR', () => {
    const t = clientUnderTest({ peerSettings: { maxConcurrentStreams: 1 } })
    t.conn.request(requestFields('GET', '/a'), { endStream: true })
    t.conn.request(requestFields('GET', '/b'), { endStream: true })
    t.read()
    t.send(rstStream(3, ErrorCode.CANCEL))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })
})

describe('client: concurrency and GOAWAY', () => {
  it('5.1.2 requests beyond the server SETTINGS_MAX_CONCURRENT_STREAMS wait, in order', () => {
    const t = clientUnderTest({ peerSettings: { maxConcurrentStreams: 1 } })
    const a = t.conn.request(requestFields('GET', '/a'), { endStream: true })
    const b = t.conn.request(requestFields('GET', '/b'), { endStream: true })
    expect(framesOf(t.read(), FrameType.HEADERS).map((f) => [f.streamId, f.fields?.at(-1)])).toEqual([
      [a, [':path', '/a']],
    ])
    expect(t.conn.streamState(b)).toBe('idle')
    t.send(headers(a).response(200).eos())
    expect(framesOf(t.read(), FrameType.HEADERS).map((f) => [f.streamId, f.fields?.at(-1)])).toEqual([
      [b, [':path', '/b']],
    ])
  })

  it('5.1.2 a larger SETTINGS_MAX_CONCURRENT_STREAMS lets waiting requests go', () => {
    const t = clientUnderTest({ peerSettings: { maxConcurrentStreams: 0 } })
    t.conn.request(requestFields('GET', '/a'), { endStream: true })
    t.conn.request(requestFields('GET', '/b'), { endStream: true })
    expect(framesOf(t.read(), FrameType.HEADERS)).toEqual([])
    t.send(settings({ maxConcurrentStreams: 2 }))
    expect(framesOf(t.read(), FrameType.HEADERS).map((f) => f.streamId)).toEqual([1, 3])
  })

  it('5.1.2 REFUSED_STREAM from the server: the request is reported retryable', () => {
    const t = requested()
    const events = t.send(rstStream(1, ErrorCode.REFUSED_STREAM))
    expect(ofType(events, 'streamReset')).toMatchObject([
      { streamId: 1, code: ErrorCode.REFUSED_STREAM, origin: 'remote', retryable: true },
    ])
    t.expectNothing()
  })

  it('6.8 GOAWAY: streams above last-stream-id are reset (retryable), those below go on', () => {
    const t = clientUnderTest()
    for (const p of ['/a', '/b', '/c']) t.conn.request(requestFields('GET', p), { endStream: true })
    t.read()
    const events = t.send(goAway(1, ErrorCode.NO_ERROR))
    expect(ofType(events, 'streamReset').map((e) => [e.streamId, e.code, e.retryable])).toEqual([
      [3, ErrorCode.REFUSED_STREAM, true],
      [5, ErrorCode.REFUSED_STREAM, true],
    ])
    expect(t.conn.streamState(1)).toBe('half-closed-local')
    t.expectNothing()
    let error: unknown
    try {
      t.conn.request(requestFields('GET', '/d'))
    } catch (e) {
      error = e
    }
    expect(isUsageError(error)).toBe(true)
    t.send(headers(1).response(200).eos())
    expect(t.conn.finished).toBe(true)
  })
})
