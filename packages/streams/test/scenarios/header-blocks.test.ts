// RFC 9113 §4.3 and §6.10: header blocks (HEADERS + CONTINUATION), HPACK failures, and the frame-level rules
// of §6.1–§6.4 and §4.1/§5.5 that the engine answers (through the codec) with their exact codes.
import { clientPreface, ErrorCode, Flags, FrameType, SettingId } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../src/index.js'
import {
  continuation,
  data,
  headers,
  ofType,
  ping,
  priority,
  raw,
  requestFields,
  rstStream,
  serverUnderTest,
  unknownFrame,
} from '../support/frames.js'

describe('6.10 CONTINUATION', () => {
  it('6.10 HEADERS + CONTINUATION frames carry one header block', () => {
    const t = serverUnderTest()
    const events = t.send(
      headers(1)
        .request('GET', '/split', [['x-a', 'b']])
        .eos()
        .continuations(3),
    )
    expect(ofType(events, 'headersReceived')).toMatchObject([
      { streamId: 1, kind: 'request', endStream: true, request: { path: '/split' } },
    ])
    t.expectNothing()
  })

  it('6.10 the block is applied only at END_HEADERS, whatever the chunking', () => {
    const t = serverUnderTest()
    const block = t.encodeBlock(requestFields('GET', '/'))
    const events = [
      ...t.send(headers(1).block(block.subarray(0, 3)).noEndHeaders().eos()),
      ...t.send(continuation(1, block.subarray(3, 5))),
    ]
    expect(events).toEqual([])
    expect(t.conn.streamState(1)).toBe('idle')
    const last = t.send(continuation(1, block.subarray(5)).endHeaders())
    expect(ofType(last, 'headersReceived')).toMatchObject([{ streamId: 1, endStream: true }])
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
  })

  it('6.10 empty CONTINUATION frames are fine', () => {
    const t = serverUnderTest()
    const block = t.encodeBlock(requestFields('GET', '/'))
    const events = t.send(
      headers(1).block(block).noEndHeaders().eos(),
      continuation(1),
      continuation(1).endHeaders(),
    )
    expect(ofType(events, 'headersReceived')).toHaveLength(1)
  })

  it('6.10 a frame of another type inside a header block (PING) → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    const block = t.encodeBlock(requestFields('GET', '/'))
    t.send(
      headers(1).block(block.subarray(0, 4)).noEndHeaders(),
      ping(),
      continuation(1, block.subarray(4)).endHeaders(),
    )
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.10 DATA on the same stream inside a header block → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(
      headers(1)
        .fields([['x-t', '1']])
        .eos()
        .noEndHeaders(),
      data(1, 'x'),
    )
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })

  it('6.10 HEADERS on another stream inside a header block → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('GET', '/').noEndHeaders(), headers(3).request('GET', '/').eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.10 CONTINUATION on another stream inside a header block → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    const block = t.encodeBlock(requestFields('GET', '/'))
    t.send(
      headers(1).block(block.subarray(0, 4)).noEndHeaders(),
      continuation(3, block.subarray(4)).endHeaders(),
    )
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('4.3/5.5 an unknown frame type inside a header block → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    const block = t.encodeBlock(requestFields('GET', '/'))
    t.send(
      headers(1).block(block.subarray(0, 4)).noEndHeaders(),
      unknownFrame(0),
      continuation(1, block.subarray(4)).endHeaders(),
    )
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.10 a malformed PRIORITY frame inside a header block → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    const block = t.encodeBlock(requestFields('GET', '/'))
    t.send(
      headers(1).block(block.subarray(0, 4)).noEndHeaders(),
      raw(FrameType.PRIORITY, 0, 3, Uint8Array.of(0, 0, 0, 0)),
      continuation(1, block.subarray(4)).endHeaders(),
    )
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.10 CONTINUATION without a preceding HEADERS → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(continuation(1, requestFields('GET', '/')).endHeaders())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.10 CONTINUATION after a HEADERS that had END_HEADERS → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(continuation(1, [['x-more', '1']]).endHeaders())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })

  it('6.10 CONTINUATION on stream 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('GET', '/').noEndHeaders(), continuation(0).endHeaders())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it(`6.10 ${DEFAULT_LIMITS.maxContinuationFrames} CONTINUATION frames are accepted (the limit)`, () => {
    const t = serverUnderTest()
    const events = t.send(
      headers(1).request('GET', '/').eos().continuations(DEFAULT_LIMITS.maxContinuationFrames),
    )
    expect(ofType(events, 'headersReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it('6.10 too many CONTINUATION frames → GOAWAY ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(
      headers(3)
        .request('GET', '/')
        .eos()
        .continuations(DEFAULT_LIMITS.maxContinuationFrames + 1),
    )
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 1)
  })

  it('6.10 an endless run of empty CONTINUATION frames → GOAWAY ENHANCE_YOUR_CALM (limit option)', () => {
    const t = serverUnderTest({ limits: { maxContinuationFrames: 4 } })
    const frames = [
      headers(1).block(new Uint8Array(0)).noEndHeaders(),
      ...Array.from({ length: 10 }, () => continuation(1)),
    ]
    t.sendEach(...frames.slice(0, 5))
    t.expectNothing()
    t.sendEach(...frames.slice(5))
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
  })

  it('6.10 a header block larger than maxHeaderBlockSize → GOAWAY ENHANCE_YOUR_CALM', () => {
    const t = serverUnderTest({ limits: { maxHeaderBlockSize: 1000 } })
    const frames = [
      headers(1).block(new Uint8Array(600)).noEndHeaders(),
      continuation(1, new Uint8Array(600)).endHeaders(),
    ]
    t.send(...frames)
    t.expectGoAway(ErrorCode.ENHANCE_YOUR_CALM, 0)
  })
})

const manyFields = Array.from({ length: 10 }, (_, i) => [`x-f${i}a`, 'vvvvvvvvvv'] as const)

describe('4.3 HPACK', () => {
  it('4.3 a header block HPACK cannot decode → GOAWAY COMPRESSION_ERROR, last-stream-id of the last processed', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(headers(3).garbage().eos())
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 1)
  })

  it('4.3 a truncated HPACK block → GOAWAY COMPRESSION_ERROR', () => {
    const t = serverUnderTest()
    // A literal with a name of 10 octets announced, 2 present.
    t.send(
      headers(1)
        .block(Uint8Array.of(0x00, 0x0a, 0x61, 0x62))
        .eos(),
    )
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 0)
  })

  it('4.3 an index past both tables → GOAWAY COMPRESSION_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).block(Uint8Array.of(0xbe)).eos()) // index 62: the dynamic table is empty
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 0)
  })

  it('4.3 HPACK garbage in trailers → GOAWAY COMPRESSION_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(headers(1).garbage().eos())
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 1)
  })

  it('4.3 HPACK garbage on a stream we reset is still a COMPRESSION_ERROR (the block is always decoded)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.conn.resetStream(1)
    t.read()
    t.send(headers(1).garbage().eos())
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 1)
  })

  it('4.3 HPACK garbage split over CONTINUATION → GOAWAY COMPRESSION_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).garbage().eos().continuations(2))
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 0)
  })

  it('4.3 the dynamic table carries across streams (a valid sequence stays valid)', () => {
    const t = serverUnderTest()
    for (const id of [1, 3, 5, 7]) {
      const events = t.open(id, { eos: true, extra: [['user-agent', 'scenario-test/1.0']] })
      expect(ofType(events, 'headersReceived')[0]?.fields).toContainEqual(['user-agent', 'scenario-test/1.0'])
    }
    expect(t.hpack.tableLength).toBeGreaterThan(0)
    t.expectNothing()
  })

  it('10.5.1 a header list over SETTINGS_MAX_HEADER_LIST_SIZE (advertised): 431 with END_STREAM', () => {
    const t = serverUnderTest({ limits: { maxHeaderListSize: 200 } })
    expect(t.engineSettings).toContainEqual({ id: SettingId.MAX_HEADER_LIST_SIZE, value: 200 })
    // Ten fields of 5 + 10 + 32 octets: 470 > 200 (each string alone is short: no HPACK string limit).
    const events = t.open(1, { eos: true, extra: manyFields })
    expect(ofType(events, 'headersReceived')).toEqual([])
    const frames = t.expectNoError()
    expect(frames.map((f) => [f.type, f.streamId, f.flags & Flags.END_STREAM, f.fields])).toEqual([
      [FrameType.HEADERS, 1, Flags.END_STREAM, [[':status', '431']]],
    ])
    expect(t.conn.streamState(1)).toBe('closed')
    t.expectAlive()
  })

  it('10.5.1 one header value longer than the whole list limit: 431, not a connection error', () => {
    const t = serverUnderTest({ limits: { maxHeaderListSize: 200 } })
    t.open(1, { eos: true, extra: [['x-long', 'v'.repeat(500)]] })
    const frames = t.read()
    expect(frames.map((f) => [f.type, f.streamId, f.fields])).toEqual([
      [FrameType.HEADERS, 1, [[':status', '431']]],
    ])
    t.expectAlive()
  })

  it('10.5.1/8.1 a too-large header list on an unfinished request: 431, then RST_STREAM NO_ERROR', () => {
    const t = serverUnderTest({ limits: { maxHeaderListSize: 200 } })
    t.open(1, { method: 'POST', extra: manyFields })
    const frames = t.read()
    expect(frames.map((f) => [f.type, f.streamId])).toEqual([
      [FrameType.HEADERS, 1],
      [FrameType.RST_STREAM, 1],
    ])
    expect(frames[0]?.fields).toEqual([[':status', '431']])
  })
})

describe('6.1–6.4, 5.5 frame rules', () => {
  it('6.1 DATA on stream 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.DATA, 0, 0, 'x'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.1 DATA whose Pad Length covers the whole payload → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(raw(FrameType.DATA, Flags.PADDED, 1, Uint8Array.of(5, 0, 0, 0)))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })

  it('6.1 padded DATA is delivered without its padding', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(data(1, 'payload').padded(200).eos())
    expect(ofType(events, 'dataReceived').map((e) => new TextDecoder().decode(e.data))).toEqual(['payload'])
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
  })

  it('6.2 HEADERS on stream 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(0).request('GET', '/').eos())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.2 padded HEADERS with priority fields are accepted', () => {
    const t = serverUnderTest()
    const events = t.send(
      headers(1).request('GET', '/').eos().padded(30).priority({ dependency: 0, weight: 42 }),
    )
    expect(ofType(events, 'headersReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it('6.2 HEADERS whose Pad Length covers the whole payload → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.HEADERS, Flags.PADDED | Flags.END_HEADERS, 1, Uint8Array.of(3, 0x82, 0x86)))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.3 PRIORITY of 4 octets on an open stream → RST_STREAM FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(raw(FrameType.PRIORITY, 0, 1, Uint8Array.of(0, 0, 0, 0)))
    t.expectRst(1, ErrorCode.FRAME_SIZE_ERROR)
    t.expectAlive()
  })

  it('6.3 PRIORITY on stream 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(priority(0, { dependency: 1 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.4 RST_STREAM of 3 octets → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(raw(FrameType.RST_STREAM, 0, 1, Uint8Array.of(0, 0, 8)))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 1)
  })

  it('6.4 RST_STREAM on stream 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(rstStream(0, ErrorCode.CANCEL))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.4 RST_STREAM with an unknown error code closes the stream all the same (§7)', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(rstStream(1, 0xdead))
    expect(ofType(events, 'streamReset')).toMatchObject([{ streamId: 1, code: 0xdead }])
    t.expectNothing()
  })

  it('5.5 frames of unknown types are ignored, on stream 0 and on any stream', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(unknownFrame(0, 0xfa), unknownFrame(1, 0x42), unknownFrame(99, 0xff))
    expect(events).toEqual([])
    t.expectNothing()
    expect(t.conn.streamState(99)).toBe('idle')
    t.expectAlive()
  })

  it('4.1 unknown flags are ignored (DATA, HEADERS, PING)', () => {
    const t = serverUnderTest()
    const events = t.send(
      headers(1)
        .request('POST', '/')
        .flags(0x02 | 0x10 | 0x40 | 0x80),
      data(1, 'x').flags(0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80),
    )
    expect(ofType(events, 'headersReceived')).toHaveLength(1)
    expect(ofType(events, 'dataReceived')).toHaveLength(1)
    expect(t.conn.streamState(1)).toBe('open')
    t.expectNothing()
  })

  it('4.1 the reserved bit of the stream identifier is ignored', () => {
    const t = serverUnderTest()
    const bytes = t.bytes(headers(1).request('GET', '/').eos())
    bytes[5] = (bytes[5] ?? 0) | 0x80
    const events = t.send(bytes)
    expect(ofType(events, 'headersReceived')).toMatchObject([{ streamId: 1 }])
  })

  it('3.4 a connection that does not start with the preface → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest({ handshake: false })
    expect(t.read().map((f) => f.type)).toEqual([FrameType.SETTINGS]) // our preface, written at once
    t.send(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('3.4 the preface followed by something other than SETTINGS → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest({ handshake: false })
    t.read()
    t.send(clientPreface(), ping())
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('3.4 our SETTINGS is the first frame even when the connection fails before anything was written', () => {
    const t = serverUnderTest({ handshake: false })
    t.send(clientPreface(), ping())
    // read() decodes with the §3.4 rule (the server's first frame is SETTINGS): it throws otherwise.
    const frames = t.read()
    expect(frames.map((f) => f.type)).toEqual([FrameType.SETTINGS, FrameType.GOAWAY])
    expect(t.conn.error?.code).toBe(ErrorCode.PROTOCOL_ERROR)
  })
})
