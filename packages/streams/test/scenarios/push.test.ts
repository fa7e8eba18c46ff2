// Server push (RFC 9113 §8.4, §6.6): the server promises and sends pushed responses only when the client
// allows it; the client accepts them, refuses them, or treats a wrong promise as the error the RFC names.
import { type DataFrame, ErrorCode, FrameType, type PushPromiseFrame } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { isUsageError } from '../../src/index.js'
import {
  clientUnderTest,
  data,
  describeFrame,
  framesOf,
  headers,
  ofType,
  type PeerOptions,
  pushPromise,
  type ReadFrame,
  requestFields,
  rstStream,
  serverUnderTest,
  settings,
  settingsAck,
  type TestPeer,
} from '../support/frames.js'
import { pair } from '../support/pair.js'

const promisedGet = (path: string) => requestFields('GET', path)

const kinds = (frames: ReadFrame[]) =>
  frames
    .filter(
      (f) => f.type === FrameType.HEADERS || f.type === FrameType.DATA || f.type === FrameType.PUSH_PROMISE,
    )
    .map(describeFrame)

function usageReason(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    if (isUsageError(error)) return error.reason
    throw error
  }
  return undefined
}

describe('server push: the server side', () => {
  it('§8.4 PUSH_PROMISE with the promised request, then the response on the reserved stream', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    const promised = t.conn.push(1, promisedGet('/style.css'))
    expect(promised).toBe(2)
    expect(t.conn.streamState(2)).toBe('idle') // the client has not heard of it yet
    t.conn.sendData(1, new TextEncoder().encode('<link href=/style.css>'), { endStream: true })
    t.conn.sendHeaders(2, [
      [':status', '200'],
      ['content-type', 'text/css'],
    ])
    t.conn.sendData(2, new TextEncoder().encode('body{}'), { endStream: true })
    const frames = t.read()
    expect(kinds(frames)).toEqual([
      'HEADERS(1)',
      'PUSH_PROMISE(1)',
      'DATA(1, END_STREAM)',
      'HEADERS(2)',
      'DATA(2, END_STREAM)',
    ])
    const promise = framesOf<PushPromiseFrame>(frames, FrameType.PUSH_PROMISE)[0]!
    expect(promise.promisedStreamId).toBe(2)
    expect(promise.fields).toEqual(promisedGet('/style.css'))
    expect(t.conn.streamState(2)).toBe('closed')
    expect(t.conn.activeStreams).toBe(0)
  })

  it('§5.1 the promised stream is reserved (local) until its HEADERS go, then half-closed (remote)', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.push(1, promisedGet('/a'))
    t.read()
    expect(t.conn.streamState(2)).toBe('reserved-local')
    t.conn.sendHeaders(2, [[':status', '200']])
    t.read()
    expect(t.conn.streamState(2)).toBe('half-closed-remote')
  })

  it('§8.4 SETTINGS_ENABLE_PUSH = 0 from the client: push is refused with a UsageError', () => {
    const t = serverUnderTest({ peerSettings: { enablePush: false } })
    t.open(1, { eos: true })
    expect(usageReason(() => t.conn.push(1, promisedGet('/a')))).toBe('push-disabled')
    t.expectNothing()
  })

  it('§8.4 push turned off after the promise was queued: the promise is not sent', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.push(1, promisedGet('/a'))
    t.conn.sendHeaders(2, [[':status', '200']], { endStream: true })
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    const events = t.send(settings({ enablePush: false }))
    const frames = t.read()
    expect(kinds(frames)).toEqual(['HEADERS(1, END_STREAM)'])
    expect(ofType([...events, ...t.events], 'streamReset').map((e) => [e.streamId, e.origin])).toContainEqual(
      [2, 'local'],
    )
  })

  it.each([
    ['POST', requestFields('POST', '/a'), 'push-unsafe-method'],
    ['a request with content', requestFields('GET', '/a', [['content-length', '5']]), 'push-with-content'],
    ['a malformed request', [[':method', 'GET']] as Array<[string, string]>, 'missing-scheme'],
  ])('§8.4.1 %s cannot be promised', (_, fields, reason) => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    expect(usageReason(() => t.conn.push(1, fields))).toBe(reason)
  })

  it('§6.6 no promise on a pushed stream, nor on one we have ended', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.push(1, promisedGet('/a'))
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    expect(usageReason(() => t.conn.push(2, promisedGet('/b')))).toBe('push-on-pushed-stream')
    expect(usageReason(() => t.conn.push(1, promisedGet('/b')))).toBe('stream-ended')
  })

  it('§8.4 the client resetting the promised stream stops it', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.push(1, promisedGet('/big'))
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    t.read()
    const events = t.send(rstStream(2, ErrorCode.CANCEL))
    expect(ofType(events, 'streamReset')).toMatchObject([
      { streamId: 2, origin: 'remote', code: ErrorCode.CANCEL },
    ])
    expect(usageReason(() => t.conn.sendHeaders(2, [[':status', '200']]))).toBe('stream-closed')
    t.expectNothing()
  })

  it('§5.1.2 pushed responses wait for the client’s SETTINGS_MAX_CONCURRENT_STREAMS', () => {
    const t = serverUnderTest({ peerSettings: { maxConcurrentStreams: 1 } })
    t.open(1, { eos: true })
    for (const path of ['/a', '/b']) {
      const id = t.conn.push(1, promisedGet(path))
      t.conn.sendHeaders(id, [[':status', '200']])
      t.conn.sendData(id, new Uint8Array(10), { endStream: false })
    }
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    // Both promises go, but only stream 2 opens; stream 4 stays reserved.
    expect(kinds(t.read())).toEqual([
      'PUSH_PROMISE(1)',
      'PUSH_PROMISE(1)',
      'HEADERS(1, END_STREAM)',
      'HEADERS(2)',
      'DATA(2)',
    ])
    expect(t.conn.streamState(4)).toBe('reserved-local')
    t.conn.sendData(2, new Uint8Array(0), { endStream: true })
    expect(kinds(t.read())).toEqual(['DATA(2, END_STREAM)', 'HEADERS(4)', 'DATA(4)'])
  })

  it('a promise that never went out dies with its associated stream', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.push(1, promisedGet('/a'))
    t.conn.resetStream(1, ErrorCode.CANCEL)
    const events = t.takeEvents()
    expect(ofType(events, 'streamReset').map((e) => [e.streamId, e.error?.reason])).toEqual([
      [2, 'push-cancelled'],
    ])
    expect(kinds(t.read())).toEqual([])
    expect(t.conn.activeStreams).toBe(0)
  })

  it('§8.4 a client sending PUSH_PROMISE → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: false, method: 'POST' })
    t.send(pushPromise(1, 2).request('GET', '/x'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })

  it('§5.1 HEADERS from the client on the reserved (local) stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.push(1, promisedGet('/a'))
    t.read()
    t.send(headers(2).request('GET', '/a').eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })
})

/** A client that enabled push, with request 1 sent (GET, ended). */
function pushClient(options: PeerOptions = {}): TestPeer {
  const t = clientUnderTest({ settings: { enablePush: true }, ...options })
  t.conn.request(requestFields('GET', '/'), { endStream: true })
  t.read()
  return t
}

describe('server push: the client side', () => {
  it('§8.4 a promise and its response arrive as pushPromised, then headers and data on the promised stream', () => {
    const t = pushClient()
    const events = t.send(
      pushPromise(1, 2).request('GET', '/style.css'),
      headers(1).response(200),
      headers(2).response(200, [['content-type', 'text/css']]),
      data(2, 'body{}').eos(),
      data(1, 'html').eos(),
    )
    expect(ofType(events, 'pushPromised')).toMatchObject([
      { streamId: 1, promisedStreamId: 2, request: { method: 'GET', path: '/style.css' } },
    ])
    expect(ofType(events, 'headersReceived').map((e) => [e.streamId, e.kind])).toEqual([
      [1, 'response'],
      [2, 'response'],
    ])
    expect(ofType(events, 'dataReceived').map((e) => [e.streamId, e.endStream])).toEqual([
      [2, true],
      [1, true],
    ])
    expect(t.conn.activeStreams).toBe(0)
    t.expectNoError()
  })

  it('§5.1 reserved (remote) → half-closed (local) on the response HEADERS', () => {
    const t = pushClient()
    t.send(pushPromise(1, 2).request('GET', '/a'))
    expect(t.conn.streamState(2)).toBe('reserved-remote')
    t.send(headers(2).response(200))
    expect(t.conn.streamState(2)).toBe('half-closed-local')
    expect(usageReason(() => t.conn.sendData(2, new Uint8Array(1)))).toBe('stream-ended')
  })

  it('§8.4 the client refuses one pushed stream with RST_STREAM(CANCEL); late frames on it are dropped', () => {
    const t = pushClient()
    t.send(pushPromise(1, 2).request('GET', '/a'))
    t.conn.resetStream(2, ErrorCode.CANCEL)
    t.expectRst(2, ErrorCode.CANCEL)
    const events = t.send(headers(2).response(200), data(2, 'late').eos())
    expect(ofType(events, 'headersReceived')).toEqual([])
    t.expectNothing()
  })

  it('§8.4 PUSH_PROMISE when push is disabled (the default) → GOAWAY PROTOCOL_ERROR', () => {
    const t = clientUnderTest()
    t.conn.request(requestFields('GET', '/'), { endStream: true })
    t.read()
    t.send(pushPromise(1, 2).request('GET', '/a'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('§8.4 PUSH_PROMISE after the client turned push off (acknowledged) → GOAWAY PROTOCOL_ERROR', () => {
    const t = pushClient()
    t.conn.updateSettings({ enablePush: false })
    t.read()
    t.send(settingsAck())
    t.send(pushPromise(1, 2).request('GET', '/a'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('§6.6 a promised stream id that is not idle → GOAWAY PROTOCOL_ERROR', () => {
    const t = pushClient()
    t.send(pushPromise(1, 4).request('GET', '/a'))
    t.send(pushPromise(1, 2).request('GET', '/b'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 4)
  })

  it('§6.6 PUSH_PROMISE on a stream that is neither open nor half-closed (local) → GOAWAY PROTOCOL_ERROR', () => {
    const t = pushClient()
    t.send(headers(1).response(200).eos())
    t.send(pushPromise(1, 2).request('GET', '/a'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('§6.6 PUSH_PROMISE on a pushed stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = pushClient()
    t.send(pushPromise(1, 2).request('GET', '/a'), headers(2).response(200))
    t.send(pushPromise(2, 4).request('GET', '/b'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 2)
  })

  it('§6.6 a promise crossing our RST_STREAM on its request: the promised stream is refused, HPACK stays in step', () => {
    const t = pushClient()
    t.conn.resetStream(1, ErrorCode.CANCEL)
    t.read()
    t.send(pushPromise(1, 2).request('GET', '/a', [['x-big', 'v'.repeat(100)]]))
    t.expectRst(2, ErrorCode.CANCEL)
    // The dynamic table entry from that block is still usable.
    const id = t.conn.request(requestFields('GET', '/next'), { endStream: true })
    t.read()
    const events = t.send(pushPromise(id, 4).request('GET', '/b', [['x-big', 'v'.repeat(100)]]))
    expect(ofType(events, 'pushPromised').map((e) => e.fields.at(-1))).toEqual([['x-big', 'v'.repeat(100)]])
  })

  it.each([
    ['POST', requestFields('POST', '/a')],
    ['content', requestFields('GET', '/a', [['content-length', '3']])],
    ['no :path', requestFields('GET', '/a').filter(([n]) => n !== ':path')],
  ])(
    '§8.4.1 a promised request that is not safe, cacheable and complete (%s) → RST_STREAM PROTOCOL_ERROR on the promised stream',
    (_, fields) => {
      const t = pushClient()
      const events = t.send(pushPromise(1, 2).fields(fields))
      expect(ofType(events, 'pushPromised')).toEqual([])
      t.expectRst(2, ErrorCode.PROTOCOL_ERROR)
      expect(t.conn.streamState(1)).toBe('half-closed-local')
    },
  )

  it('§8.4 DATA on a reserved (remote) stream → GOAWAY PROTOCOL_ERROR', () => {
    const t = pushClient()
    t.send(pushPromise(1, 2).request('GET', '/a'))
    t.send(data(2, 'x'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 2)
  })

  it('limits.maxPushedStreams: promises beyond it are refused with REFUSED_STREAM', () => {
    const t = pushClient({ limits: { maxPushedStreams: 2 } })
    const events = t.send(
      pushPromise(1, 2).request('GET', '/a'),
      pushPromise(1, 4).request('GET', '/b'),
      pushPromise(1, 6).request('GET', '/c'),
    )
    expect(ofType(events, 'pushPromised').map((e) => e.promisedStreamId)).toEqual([2, 4])
    t.expectRst(6, ErrorCode.REFUSED_STREAM)
  })

  it('§6.8 the client’s GOAWAY names the last promised stream it took', () => {
    const t = pushClient()
    t.send(pushPromise(1, 2).request('GET', '/a'))
    t.conn.shutdown()
    t.expectGoAway(ErrorCode.NO_ERROR, 2)
  })
})

describe('server push between two engines', () => {
  it('the pushed response reaches the client whole, and both sides end with no streams', () => {
    const p = pair(
      { settings: { enablePush: true } },
      {},
      (e, server) => {
        if (e.type !== 'headersReceived' || e.kind !== 'request') return
        const id = server.push(e.streamId, promisedGet('/pushed.js'))
        server.sendHeaders(id, [[':status', '200']])
        server.sendData(id, new Uint8Array(100_000), { endStream: true })
        server.sendHeaders(e.streamId, [[':status', '200']], { endStream: true })
      },
      (e, client) => {
        if (e.type === 'dataReceived') client.consumed(e.streamId, e.data.length)
      },
    )
    p.client.request(requestFields('GET', '/'), { endStream: true })
    p.pump()
    const pushed = ofType(p.clientEvents, 'pushPromised')
    expect(pushed.map((e) => [e.streamId, e.promisedStreamId, e.request.path])).toEqual([
      [1, 2, '/pushed.js'],
    ])
    const bytes = ofType(p.clientEvents, 'dataReceived')
      .filter((e) => e.streamId === 2)
      .reduce((n, e) => n + e.data.length, 0)
    expect(bytes).toBe(100_000)
    expect(p.client.activeStreams).toBe(0)
    expect(p.server.activeStreams).toBe(0)
    expect(p.client.error).toBeUndefined()
    expect(framesOf<DataFrame>([], FrameType.DATA)).toEqual([])
  })
})
