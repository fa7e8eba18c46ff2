/**
 * The server cases: one per MUST / MUST NOT of RFC 9113 §3–§8 and RFC 7541 that a client can break, plus the
 * few "this must be accepted" rules a strict server gets wrong (ignoring unknown frames, flags and settings).
 *
 * Each case is data: the section, a title, the answer the RFC prescribes, and the bytes to send. Where the
 * RFC allows two answers, the expectation lists both and the title says why.
 *
 * Conventions: stream 1 is the first request; `c.get(n)` is a complete GET (END_STREAM), `c.post(n)` opens a
 * POST whose body is still to come (the server under test answers only once a body ends, so the stream stays
 * open). Stream-error cases put the error on an open stream so that "closed" cannot be the excuse.
 */
import { ErrorCode, Flags, FrameType, SettingId } from '@h2ts/frames'
import {
  CaseFailure,
  connectionError,
  type Expectation,
  ignored,
  response,
  SkipCase,
  streamError,
  streamOrConnectionError,
} from './harness.js'
import type { ServerCase, ServerCaseContext } from './server-runner.js'
import {
  concat,
  continuationFrame,
  dataFrame,
  filler,
  headersFrame,
  hpack,
  isPingAck,
  latin1,
  pingFrame,
  priorityFrame,
  pushPromiseFrame,
  type ReadFrame,
  rawFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from './wire.js'

const E = ErrorCode
const S = SettingId
const T = FrameType

const MAX_WINDOW = 0x7fff_ffff

function kase(
  id: string,
  title: string,
  expect: Expectation,
  act: ServerCase['act'],
  opts: Pick<ServerCase, 'settings' | 'raw'> = {},
): ServerCase {
  return { id, title, expect, act, ...opts }
}

/** The server acknowledges a SETTINGS frame. */
const settingsAcked: Expectation = {
  kind: 'frame',
  what: 'SETTINGS ACK',
  check: () => (f) => f.type === T.SETTINGS && (f.flags & Flags.ACK) !== 0,
}

/** The server sends exactly `n` octets of DATA on the stream (more is a flow-control violation). */
function dataWithin(streamId: number, n: number): Expectation {
  return {
    kind: 'frame',
    what: `DATA on stream ${streamId} cut to a ${n}-octet window`,
    check: () => {
      let got = 0
      return (f) => {
        if (f.type !== T.DATA || f.streamId !== streamId) return false
        got += (f as { data: Uint8Array }).data.length
        if (got > n) return `${got} octets of DATA sent into a ${n}-octet window`
        return got === n
      }
    },
  }
}

/** A field block split in two fragments (for HEADERS + CONTINUATION). */
function halves(block: Uint8Array): [Uint8Array, Uint8Array] {
  const mid = Math.max(1, block.length >> 1)
  return [block.subarray(0, mid), block.subarray(mid)]
}

/** HEADERS without END_HEADERS on stream 1 carrying the first half of a GET request's block. */
function openBlock(c: ServerCaseContext): Uint8Array {
  return headersFrame(1, halves(c.block(c.fields('GET')))[0], { endStream: true, endHeaders: false })
}

/** A GET request on stream 1 with one more field, written by hand (characters the encoder is not asked about). */
function getWith(c: ServerCaseContext, name: string, value: string, streamId = 1): Uint8Array {
  return headersFrame(streamId, concat([c.block(c.fields('GET')), hpack.literal(name, value)]), {
    endStream: true,
  })
}

/** A request whose field list is exactly `fields` (pseudo-header fields in the order given). */
function request(fields: Array<[string, string]>, endStream = true): Uint8Array {
  return headersFrame(1, concat(fields.map(([n, v]) => hpack.literal(n, v))), { endStream })
}

function pseudo(c: ServerCaseContext): Array<[string, string]> {
  return [
    [':method', 'GET'],
    [':scheme', c.scheme],
    [':authority', c.authority],
    [':path', '/'],
  ]
}

const u32 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

// ---------------------------------------------------------------------------------------------------------

const preface: ServerCase[] = [
  kase('3.4', 'the server preface is a SETTINGS frame', ignored, (c) => {
    if (c.firstFrame?.type !== T.SETTINGS || c.firstFrame.flags & Flags.ACK)
      throw new CaseFailure(`the server's first frame was ${c.firstFrame?.type} (§3.4: SETTINGS first)`)
  }),
  kase(
    '3.4',
    'invalid connection preface (GOAWAY may be omitted)',
    { kind: 'error', goaway: [E.PROTOCOL_ERROR], closeOk: true },
    (c) => c.send(latin1('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'), settingsFrame()),
    { raw: true },
  ),
  kase(
    '3.4',
    'preface followed by PING instead of SETTINGS (GOAWAY may be omitted)',
    { kind: 'error', goaway: [E.PROTOCOL_ERROR], closeOk: true },
    (c) => c.send(latin1('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), pingFrame('notfirst')),
    { raw: true },
  ),
]

const frameFormat: ServerCase[] = [
  kase('4.1', 'frame of an unknown type on stream 0', ignored, (c) =>
    c.send(rawFrame(0xfa, 0, 0, filler(8))),
  ),
  kase('4.1', 'frame of an unknown type on an idle stream', ignored, (c) =>
    c.send(rawFrame(0xfa, 0xff, 3, filler(8))),
  ),
  kase(
    '4.1',
    'PING with undefined flags',
    { kind: 'frame', what: 'its PING ACK', check: () => (f) => isPingAck(f) && sameBytes(f, 'flagged!') },
    (c) => c.send(rawFrame(T.PING, 0xfe, 0, latin1('flagged!'))),
  ),
  kase('4.1', 'HEADERS with undefined flags', response(1), (c) =>
    c.send(headersFrame(1, c.block(c.fields('GET')), { endStream: true, flags: 0x02 | 0x10 | 0x40 | 0x80 })),
  ),
  kase('4.1', 'DATA with undefined flags', response(1), (c) =>
    c.send(c.post(1), dataFrame(1, 'abc', { endStream: true, flags: 0xf6 })),
  ),
  kase('4.1', 'SETTINGS with undefined flags', settingsAcked, (c) => c.send(rawFrame(T.SETTINGS, 0xfe, 0))),
  kase('4.1', 'reserved bit set in the stream identifier', response(1), (c) => {
    const frame = c.get(1)
    frame[5]! |= 0x80
    c.send(frame)
  }),
  kase('4.1', 'END_STREAM bit on CONTINUATION is not a flag of that frame', response(1), (c) => {
    const [a, b] = halves(c.block(c.fields('POST')))
    // 0x1 means nothing on CONTINUATION: the request stays open until the DATA with END_STREAM.
    c.send(headersFrame(1, a, { endHeaders: false }), rawFrame(T.CONTINUATION, Flags.END_HEADERS | 0x1, 1, b))
    c.send(dataFrame(1, 'body', { endStream: true }))
  }),
]

/** A GET request's block longer than the server's SETTINGS_MAX_FRAME_SIZE (a raw literal: no Huffman). */
function paddedBlock(c: ServerCaseContext): Uint8Array {
  return concat([c.block(c.fields('GET')), hpack.literal('x-pad', 'p'.repeat(c.maxFrameSize))])
}

const frameSize: ServerCase[] = [
  kase('4.2', 'DATA of exactly SETTINGS_MAX_FRAME_SIZE octets', response(1), (c) => {
    const n = Math.min(16384, c.setting(S.INITIAL_WINDOW_SIZE, 65535))
    c.send(c.post(1), dataFrame(1, filler(n), { endStream: true }))
  }),
  kase(
    '4.2',
    'DATA larger than SETTINGS_MAX_FRAME_SIZE (a DATA frame may be a stream error)',
    streamOrConnectionError(1, E.FRAME_SIZE_ERROR),
    (c) => c.send(c.post(1), dataFrame(1, filler(c.maxFrameSize + 1))),
  ),
  kase('4.2', 'HEADERS larger than SETTINGS_MAX_FRAME_SIZE', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(headersFrame(1, paddedBlock(c), { endStream: true })),
  ),
  kase(
    '4.2',
    'CONTINUATION larger than SETTINGS_MAX_FRAME_SIZE',
    connectionError(E.FRAME_SIZE_ERROR),
    (c) => {
      // The CONTINUATION carries exactly SETTINGS_MAX_FRAME_SIZE + 1 octets.
      const block = paddedBlock(c)
      const cut = block.length - (c.maxFrameSize + 1)
      c.send(headersFrame(1, block.subarray(0, cut), { endStream: true, endHeaders: false }))
      c.send(continuationFrame(1, block.subarray(cut), true))
    },
  ),
  kase('4.2', 'SETTINGS larger than SETTINGS_MAX_FRAME_SIZE', connectionError(E.FRAME_SIZE_ERROR), (c) => {
    const entries = Math.ceil((c.maxFrameSize + 1) / 6)
    c.send(settingsFrame(Array.from({ length: entries }, () => [0xf0f0, 1] as const)))
  }),
]

/** Frames that must not interrupt a field block (§4.3, §6.10): each a connection PROTOCOL_ERROR. */
const interrupters: Array<[string, (c: ServerCaseContext) => Uint8Array]> = [
  ['PRIORITY', () => priorityFrame(1, 0)],
  ['HEADERS on another stream', (c) => c.get(3)],
  ['DATA', () => dataFrame(1, 'x')],
  ['PING', () => pingFrame('inblock!')],
  ['SETTINGS', () => settingsFrame()],
  ['RST_STREAM', () => rstStreamFrame(1, E.CANCEL)],
  ['WINDOW_UPDATE on stream 0', () => windowUpdateFrame(0, 1)],
  ['CONTINUATION on another stream', (c) => continuationFrame(3, c.block(c.fields('GET')), true)],
]

const fieldBlocks: ServerCase[] = [
  kase('4.3', 'undecodable field block (truncated integer)', connectionError(E.COMPRESSION_ERROR), (c) =>
    c.send(headersFrame(1, Uint8Array.of(0x7f), { endStream: true })),
  ),
  ...interrupters.map(([what, frame]) =>
    kase('4.3', `${what} inside a field block`, connectionError(E.PROTOCOL_ERROR), (c) =>
      c.send(openBlock(c), frame(c)),
    ),
  ),
  kase('4.3', "a malformed request's field block still updates the dynamic table", response(3), async (c) => {
    // The block inserts "x-conformance: one" (index 62) and is malformed (uppercase name): the server resets
    // the stream but must have decoded the block; the next request refers to index 62.
    const bad = concat([
      hpack.literalIndexing('x-conformance', 'one'),
      c.rawGetBlock(),
      hpack.literal('X-Upper', '1'),
    ])
    c.send(headersFrame(1, bad, { endStream: true }))
    await c.waitRst(1)
    c.send(headersFrame(3, concat([c.rawGetBlock(), hpack.indexed(62)]), { endStream: true }))
  }),
]

const idle: ServerCase[] = [
  kase('5.1', 'idle: DATA', connectionError(E.PROTOCOL_ERROR), (c) => c.send(dataFrame(1, 'x'))),
  kase('5.1', 'idle: DATA on a server-initiated (even) stream', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(dataFrame(2, 'x')),
  ),
  kase('5.1', 'idle: RST_STREAM', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(rstStreamFrame(1, E.CANCEL)),
  ),
  kase('5.1', 'idle: WINDOW_UPDATE', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(windowUpdateFrame(1, 100)),
  ),
  kase('5.1', 'idle: CONTINUATION', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(continuationFrame(1, c.block(c.fields('GET')), true)),
  ),
  kase('5.1', 'idle: PRIORITY is allowed', ignored, (c) => c.send(priorityFrame(3, 0))),
]

// Half-closed (remote): the request ended with END_STREAM. If the server's response has already closed the
// stream when the frame arrives, §5.1 "closed" applies, which allows a connection error of the same code.
const halfClosedRemote: ServerCase[] = [
  kase(
    '5.1',
    'half-closed (remote): DATA (if already closed, a connection error)',
    streamOrConnectionError(1, E.STREAM_CLOSED),
    (c) => c.send(c.get(1), dataFrame(1, 'x')),
  ),
  kase(
    '5.1',
    'half-closed (remote): HEADERS (if already closed, a connection error)',
    streamOrConnectionError(1, E.STREAM_CLOSED),
    (c) => c.send(c.get(1), headersFrame(1, c.trailers(), { endStream: true })),
  ),
  kase(
    '5.1',
    'half-closed (remote): CONTINUATION (§6.10 PROTOCOL_ERROR or §5.1 STREAM_CLOSED)',
    {
      kind: 'error',
      goaway: [E.PROTOCOL_ERROR, E.STREAM_CLOSED],
      rst: { streamId: 1, codes: [E.STREAM_CLOSED] },
    },
    (c) => c.send(c.get(1), continuationFrame(1, c.trailers(), true)),
  ),
  kase('5.1', 'half-closed (remote): WINDOW_UPDATE is allowed', ignored, (c) =>
    c.send(c.get(1), windowUpdateFrame(1, 1)),
  ),
  kase('5.1', 'half-closed (remote): PRIORITY is allowed', ignored, (c) =>
    c.send(c.get(1), priorityFrame(1, 0)),
  ),
  kase('5.1', 'half-closed (remote): RST_STREAM is allowed', ignored, (c) =>
    c.send(c.get(1), rstStreamFrame(1, E.CANCEL)),
  ),
]

const closedAfterRst: ServerCase[] = [
  kase('5.1', 'closed: DATA after RST_STREAM', streamError(1, E.STREAM_CLOSED), (c) =>
    c.send(c.post(1), rstStreamFrame(1, E.CANCEL), dataFrame(1, 'x')),
  ),
  kase('5.1', 'closed: HEADERS after RST_STREAM', streamError(1, E.STREAM_CLOSED), (c) =>
    c.send(c.post(1), rstStreamFrame(1, E.CANCEL), headersFrame(1, c.trailers(), { endStream: true })),
  ),
  kase(
    '5.1',
    'closed: CONTINUATION after RST_STREAM (§6.10 PROTOCOL_ERROR or §5.1 STREAM_CLOSED)',
    {
      kind: 'error',
      goaway: [E.PROTOCOL_ERROR, E.STREAM_CLOSED],
      rst: { streamId: 1, codes: [E.STREAM_CLOSED] },
    },
    (c) => c.send(c.post(1), rstStreamFrame(1, E.CANCEL), continuationFrame(1, c.trailers(), true)),
  ),
  kase('5.1', 'closed: PRIORITY after RST_STREAM is allowed', ignored, (c) =>
    c.send(c.post(1), rstStreamFrame(1, E.CANCEL), priorityFrame(1, 0)),
  ),
  kase('5.4.2', 'no RST_STREAM in answer to a RST_STREAM on a closed stream', ignored, (c) =>
    c.send(c.post(1), rstStreamFrame(1, E.CANCEL), rstStreamFrame(1, E.CANCEL)),
  ),
]

/** Both sides ended stream 1: the request with END_STREAM, the response to its end. */
async function completed(c: ServerCaseContext): Promise<void> {
  c.send(c.get(1))
  await c.waitStreamEnd(1)
}

const closedAfterEnd: ServerCase[] = [
  kase(
    '5.1',
    'closed: DATA after END_STREAM (§5.1 connection error, §6.1 stream error)',
    streamOrConnectionError(1, E.STREAM_CLOSED),
    async (c) => {
      await completed(c)
      c.send(dataFrame(1, 'x'))
    },
  ),
  kase('5.1', 'closed: HEADERS after END_STREAM', connectionError(E.STREAM_CLOSED), async (c) => {
    await completed(c)
    c.send(headersFrame(1, c.trailers(), { endStream: true }))
  }),
  kase(
    '5.1',
    'closed: CONTINUATION after END_STREAM (§6.10 PROTOCOL_ERROR or §5.1 STREAM_CLOSED)',
    connectionError(E.PROTOCOL_ERROR, E.STREAM_CLOSED),
    async (c) => {
      await completed(c)
      c.send(continuationFrame(1, c.trailers(), true))
    },
  ),
  kase('5.1', 'closed: WINDOW_UPDATE after END_STREAM is allowed', ignored, async (c) => {
    await completed(c)
    c.send(windowUpdateFrame(1, 1))
  }),
  kase('5.1', 'closed: RST_STREAM after END_STREAM is allowed', ignored, async (c) => {
    await completed(c)
    c.send(rstStreamFrame(1, E.CANCEL))
  }),
  kase('5.1', 'closed: PRIORITY after END_STREAM is allowed', ignored, async (c) => {
    await completed(c)
    c.send(priorityFrame(1, 0))
  }),
]

/** A POST on stream 1 the server resets at once (malformed: uppercase field name). */
async function resetByServer(c: ServerCaseContext): Promise<void> {
  c.send(headersFrame(1, concat([c.block(c.fields('POST')), hpack.literal('X-Upper', '1')])))
  await c.waitRst(1)
}

const closedByServerReset: ServerCase[] = [
  kase('5.1', 'closed: DATA on a stream the server reset is ignored', ignored, async (c) => {
    await resetByServer(c)
    c.send(dataFrame(1, 'late body'))
  }),
  kase(
    '5.1',
    'closed: trailers on a stream the server reset still update the dynamic table',
    response(3),
    async (c) => {
      await resetByServer(c)
      c.send(headersFrame(1, hpack.literalIndexing('x-conformance', 'two'), { endStream: true }))
      c.send(headersFrame(3, concat([c.rawGetBlock(), hpack.indexed(62)]), { endStream: true }))
    },
  ),
]

const streamIds: ServerCase[] = [
  kase('5.1.1', 'even stream identifier from a client', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(c.get(2)),
  ),
  kase(
    '5.1.1',
    'HEADERS with a lower stream id than an earlier one',
    connectionError(E.PROTOCOL_ERROR),
    (c) => c.send(c.get(5), c.get(3)),
  ),
  kase('5.1.1', 'stream ids may skip: first request on stream 7', response(7), (c) => c.send(c.get(7))),
]

const concurrency: ServerCase[] = [
  kase(
    '5.1.2',
    'SETTINGS_MAX_CONCURRENT_STREAMS is advertised (a recommendation the issue makes a rule)',
    ignored,
    (c) => {
      if (!c.serverSettings.has(S.MAX_CONCURRENT_STREAMS))
        throw new CaseFailure(
          'the server did not advertise SETTINGS_MAX_CONCURRENT_STREAMS: any client may open unbounded streams',
        )
    },
  ),
  kase(
    '5.1.2',
    'one stream over SETTINGS_MAX_CONCURRENT_STREAMS',
    streamError(0, E.PROTOCOL_ERROR, E.REFUSED_STREAM),
    (c) => {
      const max = c.serverSettings.get(S.MAX_CONCURRENT_STREAMS)
      if (max === undefined) throw new SkipCase('no SETTINGS_MAX_CONCURRENT_STREAMS advertised')
      if (max > 1000) throw new SkipCase(`SETTINGS_MAX_CONCURRENT_STREAMS ${max} is too many to open here`)
      const frames: Uint8Array[] = []
      for (let i = 0; i < max; i++) frames.push(c.post(2 * i + 1))
      const over = 2 * max + 1
      frames.push(c.get(over))
      c.send(...frames)
      return streamError(over, E.PROTOCOL_ERROR, E.REFUSED_STREAM)
    },
  ),
]

const priority: ServerCase[] = [
  // RFC 9113 §5.3.1 leaves the RFC 7540 scheme deprecated; its rule (RFC 7540 §5.3.1: "A stream cannot depend
  // on itself ... stream error of type PROTOCOL_ERROR") is what nghttp2 and h2spec check.
  kase('5.3.1', 'HEADERS that depends on its own stream', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(headersFrame(1, c.block(c.fields('GET')), { endStream: true, priority: { dependency: 1 } })),
  ),
  kase('5.3.1', 'PRIORITY that depends on its own stream', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), priorityFrame(1, 1)),
  ),
]

const errorHandling: ServerCase[] = [
  kase(
    '5.4.1',
    'a connection error names the last processed stream in GOAWAY',
    { kind: 'error', goaway: [E.PROTOCOL_ERROR], lastStreamId: 1 },
    async (c) => {
      await completed(c)
      c.send(rawFrame(T.PING, 0, 1, filler(8)))
    },
  ),
]

const extensions: ServerCase[] = [
  kase('5.5', 'unknown frame type inside a field block', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(openBlock(c), rawFrame(0xfa, 0, 1, filler(4))),
  ),
  kase('7', 'RST_STREAM with an unknown error code', ignored, (c) =>
    c.send(c.post(1), rstStreamFrame(1, 0xdead)),
  ),
]

const data: ServerCase[] = [
  kase('6.1', 'DATA on stream 0', connectionError(E.PROTOCOL_ERROR), (c) => c.send(dataFrame(0, 'x'))),
  kase('6.1', 'DATA whose padding is as long as the payload', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), rawFrame(T.DATA, Flags.PADDED, 1, Uint8Array.of(6, 0x61, 0x62, 0x63, 0, 0))),
  ),
  kase(
    '6.1',
    'PADDED DATA too short for its Pad Length octet (§4.2 FRAME_SIZE_ERROR or §6.1 PROTOCOL_ERROR)',
    {
      kind: 'error',
      rst: { streamId: 1, codes: [E.FRAME_SIZE_ERROR] },
      goaway: [E.FRAME_SIZE_ERROR, E.PROTOCOL_ERROR],
    },
    (c) => c.send(c.post(1), rawFrame(T.DATA, Flags.PADDED, 1)),
  ),
  kase('6.1', 'padded DATA is accepted', response(1), (c) =>
    c.send(c.post(1), dataFrame(1, 'abc', { endStream: true, padLength: 10 })),
  ),
]

const headers: ServerCase[] = [
  kase('6.2', 'HEADERS on stream 0', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(headersFrame(0, c.block(c.fields('GET')), { endStream: true })),
  ),
  kase('6.2', 'HEADERS whose padding is as long as the payload', connectionError(E.PROTOCOL_ERROR), (c) => {
    const block = c.block(c.fields('GET'))
    const payload = concat([Uint8Array.of(block.length + 1), block])
    c.send(rawFrame(T.HEADERS, Flags.PADDED | Flags.END_HEADERS | Flags.END_STREAM, 1, payload))
  }),
  kase(
    '6.2',
    'PADDED HEADERS too short for its Pad Length octet',
    connectionError(E.FRAME_SIZE_ERROR, E.PROTOCOL_ERROR),
    (c) => c.send(rawFrame(T.HEADERS, Flags.PADDED | Flags.END_HEADERS | Flags.END_STREAM, 1)),
  ),
  kase(
    '6.2',
    'HEADERS with PRIORITY too short for its priority fields',
    connectionError(E.FRAME_SIZE_ERROR, E.PROTOCOL_ERROR),
    (c) =>
      c.send(
        rawFrame(T.HEADERS, Flags.PRIORITY | Flags.END_HEADERS | Flags.END_STREAM, 1, Uint8Array.of(0, 0, 0)),
      ),
  ),
  kase('6.2', 'HEADERS with padding and priority fields is accepted', response(1), (c) =>
    c.send(
      headersFrame(1, c.block(c.fields('GET')), {
        endStream: true,
        padLength: 7,
        priority: { dependency: 0, weight: 200 },
      }),
    ),
  ),
]

const priorityFrames: ServerCase[] = [
  kase('6.3', 'PRIORITY on stream 0', connectionError(E.PROTOCOL_ERROR), (c) => c.send(priorityFrame(0, 1))),
  kase('6.3', 'PRIORITY of 4 octets', streamError(1, E.FRAME_SIZE_ERROR), (c) =>
    c.send(c.post(1), rawFrame(T.PRIORITY, 0, 1, filler(4))),
  ),
  kase('6.3', 'PRIORITY of 6 octets', streamError(1, E.FRAME_SIZE_ERROR), (c) =>
    c.send(c.post(1), rawFrame(T.PRIORITY, 0, 1, Uint8Array.of(0, 0, 0, 0, 16, 0))),
  ),
]

const rstStream: ServerCase[] = [
  kase('6.4', 'RST_STREAM on stream 0', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(rstStreamFrame(0, E.CANCEL)),
  ),
  kase('6.4', 'RST_STREAM on an idle stream above an open one', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), rstStreamFrame(3, E.CANCEL)),
  ),
  kase('6.4', 'RST_STREAM of 3 octets', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(c.post(1), rawFrame(T.RST_STREAM, 0, 1, Uint8Array.of(0, 0, 8))),
  ),
  kase('6.4', 'RST_STREAM of 5 octets', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(c.post(1), rawFrame(T.RST_STREAM, 0, 1, Uint8Array.of(0, 0, 0, 8, 0))),
  ),
]

const settings: ServerCase[] = [
  kase('6.5', 'SETTINGS ACK with a payload', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(rawFrame(T.SETTINGS, Flags.ACK, 0, filler(6))),
  ),
  kase('6.5', 'SETTINGS on stream 1', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(rawFrame(T.SETTINGS, 0, 1)),
  ),
  kase('6.5', 'SETTINGS of 3 octets', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(rawFrame(T.SETTINGS, 0, 0, Uint8Array.of(0, 4, 0))),
  ),
  kase('6.5', 'SETTINGS of 8 octets (not a multiple of 6)', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(rawFrame(T.SETTINGS, 0, 0, Uint8Array.of(0, 4, 0, 0, 0, 1, 0, 0))),
  ),
  kase('6.5.2', 'SETTINGS_ENABLE_PUSH = 2', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(settingsFrame([[S.ENABLE_PUSH, 2]])),
  ),
  kase('6.5.2', 'SETTINGS_INITIAL_WINDOW_SIZE = 2^31', connectionError(E.FLOW_CONTROL_ERROR), (c) =>
    c.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 2 ** 31]])),
  ),
  kase('6.5.2', 'SETTINGS_INITIAL_WINDOW_SIZE = 2^32-1', connectionError(E.FLOW_CONTROL_ERROR), (c) =>
    c.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 0xffff_ffff]])),
  ),
  kase('6.5.2', 'SETTINGS_MAX_FRAME_SIZE = 16383', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(settingsFrame([[S.MAX_FRAME_SIZE, 16383]])),
  ),
  kase('6.5.2', 'SETTINGS_MAX_FRAME_SIZE = 2^24', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(settingsFrame([[S.MAX_FRAME_SIZE, 2 ** 24]])),
  ),
  kase('6.5.2', 'unknown setting identifier', settingsAcked, (c) => c.send(settingsFrame([[0xf0f0, 7]]))),
  kase('6.5.2', 'SETTINGS_ENABLE_PUSH = 1 from a client is allowed', settingsAcked, (c) =>
    c.send(settingsFrame([[S.ENABLE_PUSH, 1]])),
  ),
  kase(
    '6.5.2',
    'SETTINGS_HEADER_TABLE_SIZE = 0: the response block fits a table of 0',
    response(1),
    (c) => c.send(c.get(1)),
    { settings: [[S.HEADER_TABLE_SIZE, 0]] },
  ),
  kase('6.5.3', 'SETTINGS is acknowledged', settingsAcked, (c) =>
    c.send(settingsFrame([[S.MAX_HEADER_LIST_SIZE, 65536]])),
  ),
  kase('6.5.3', 'values in one SETTINGS frame apply in order', dataWithin(1, 1), (c) => c.send(c.get(1)), {
    settings: [
      [S.INITIAL_WINDOW_SIZE, 100],
      [S.INITIAL_WINDOW_SIZE, 1],
    ],
  }),
]

const ping: ServerCase[] = [
  kase(
    '6.7',
    'PING is answered with the same payload',
    { kind: 'frame', what: 'its PING ACK', check: () => (f) => isPingAck(f) && sameBytes(f, 'conform!') },
    (c) => c.send(pingFrame('conform!')),
  ),
  kase(
    '6.7',
    'unsolicited PING ACK',
    {
      kind: 'ignored',
      forbid: (f) =>
        isPingAck(f) && sameBytes(f, 'unasked!') ? 'the server answered a PING ACK' : undefined,
    },
    (c) => c.send(pingFrame('unasked!', true)),
  ),
  kase('6.7', 'PING on stream 1', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(rawFrame(T.PING, 0, 1, filler(8))),
  ),
  kase('6.7', 'PING of 6 octets', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(rawFrame(T.PING, 0, 0, filler(6))),
  ),
]

const goAway: ServerCase[] = [
  kase('6.8', 'GOAWAY on stream 1', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(rawFrame(T.GOAWAY, 0, 1, concat([u32(0), u32(0)]))),
  ),
  kase('6.8', 'GOAWAY of 7 octets', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(rawFrame(T.GOAWAY, 0, 0, filler(7))),
  ),
]

const windowUpdate: ServerCase[] = [
  kase('6.9', 'WINDOW_UPDATE of 0 on the connection', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(windowUpdateFrame(0, 0)),
  ),
  kase('6.9', 'WINDOW_UPDATE of 0 on a stream', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), windowUpdateFrame(1, 0)),
  ),
  kase('6.9', 'WINDOW_UPDATE of 3 octets', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(rawFrame(T.WINDOW_UPDATE, 0, 0, Uint8Array.of(0, 0, 1))),
  ),
  kase('6.9', 'WINDOW_UPDATE of 5 octets on a stream', connectionError(E.FRAME_SIZE_ERROR), (c) =>
    c.send(c.post(1), rawFrame(T.WINDOW_UPDATE, 0, 1, Uint8Array.of(0, 0, 0, 1, 0))),
  ),
  kase('6.9', 'reserved bit set in the window size increment', ignored, (c) =>
    c.send(windowUpdateFrame(0, 0x8000_0001)),
  ),
  kase('6.9.1', 'window overflow on the connection', connectionError(E.FLOW_CONTROL_ERROR), (c) =>
    c.send(windowUpdateFrame(0, MAX_WINDOW)),
  ),
  kase(
    '6.9.1',
    'window overflow on the connection in two steps',
    connectionError(E.FLOW_CONTROL_ERROR),
    (c) => c.send(windowUpdateFrame(0, 2 ** 30), windowUpdateFrame(0, 2 ** 30)),
  ),
  kase('6.9.1', 'window overflow on stream', streamError(1, E.FLOW_CONTROL_ERROR), (c) =>
    c.send(c.post(1), windowUpdateFrame(1, MAX_WINDOW)),
  ),
  kase('6.9.1', 'window overflow on stream in two steps', streamError(1, E.FLOW_CONTROL_ERROR), (c) =>
    c.send(c.post(1), windowUpdateFrame(1, 2 ** 30), windowUpdateFrame(1, 2 ** 30)),
  ),
  kase('6.9.1', 'DATA is cut to a 3-octet stream window', dataWithin(1, 3), (c) => c.send(c.get(1)), {
    settings: [[S.INITIAL_WINDOW_SIZE, 3]],
  }),
  kase(
    '6.9.2',
    'a new SETTINGS_INITIAL_WINDOW_SIZE applies to open streams',
    dataWithin(1, 2),
    async (c) => {
      c.send(c.get(1))
      await c.waitHeaders(1)
      c.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 2]]))
    },
    { settings: [[S.INITIAL_WINDOW_SIZE, 0]] },
  ),
  kase(
    '6.9.2',
    'a window made negative by SETTINGS counts back up',
    dataWithin(1, 1),
    async (c) => {
      c.send(c.get(1))
      await c.waitData(1, 3)
      // 1 - 3 = -2; +3 makes 1.
      c.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 1]]), windowUpdateFrame(1, 3))
    },
    { settings: [[S.INITIAL_WINDOW_SIZE, 3]] },
  ),
  kase(
    '6.9.2',
    'SETTINGS_INITIAL_WINDOW_SIZE change that overflows an open stream',
    connectionError(E.FLOW_CONTROL_ERROR),
    (c) => {
      const initial = 65535
      c.send(
        c.post(1),
        windowUpdateFrame(1, MAX_WINDOW - initial),
        settingsFrame([[S.INITIAL_WINDOW_SIZE, initial + 1]]),
      )
    },
  ),
]

const continuation: ServerCase[] = [
  kase('6.10', 'HEADERS followed by two CONTINUATION frames', response(1), (c) => {
    const block = c.block(c.fields('GET', [['x-long', 'v'.repeat(60)]]))
    const a = Math.floor(block.length / 3)
    c.send(
      headersFrame(1, block.subarray(0, a), { endStream: true, endHeaders: false }),
      continuationFrame(1, block.subarray(a, 2 * a), false),
      continuationFrame(1, block.subarray(2 * a), true),
    )
  }),
  kase('6.10', 'CONTINUATION after HEADERS with END_HEADERS', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), continuationFrame(1, c.trailers(), true)),
  ),
  kase('6.10', 'CONTINUATION on stream 0 inside a field block', connectionError(E.PROTOCOL_ERROR), (c) => {
    const [a, b] = halves(c.block(c.fields('GET')))
    c.send(headersFrame(1, a, { endStream: true, endHeaders: false }), continuationFrame(0, b, true))
  }),
  kase(
    '6.10',
    'CONTINUATION after a CONTINUATION with END_HEADERS',
    connectionError(E.PROTOCOL_ERROR),
    (c) => {
      const [a, b] = halves(c.block(c.fields('POST')))
      c.send(
        headersFrame(1, a, { endHeaders: false }),
        continuationFrame(1, b, true),
        continuationFrame(1, c.trailers(), true),
      )
    },
  ),
  kase('6.10', 'CONTINUATION after DATA', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), dataFrame(1, 'x'), continuationFrame(1, c.trailers(), true)),
  ),
  kase(
    '6.10',
    'a second HEADERS on the same stream inside a field block',
    connectionError(E.PROTOCOL_ERROR),
    (c) => c.send(openBlock(c), c.get(1)),
  ),
  kase('6.10', 'END_STREAM on HEADERS holds across its CONTINUATION', response(1), (c) => {
    const [a, b] = halves(c.block(c.fields('GET')))
    c.send(headersFrame(1, a, { endStream: true, endHeaders: false }), continuationFrame(1, b, true))
  }),
]

const messages: ServerCase[] = [
  kase('8.1', 'trailers without END_STREAM', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), dataFrame(1, 'abc'), headersFrame(1, c.trailers())),
  ),
  kase('8.1', 'trailers with END_STREAM are accepted', response(1), (c) =>
    c.send(c.post(1), dataFrame(1, 'abc'), headersFrame(1, c.trailers(), { endStream: true })),
  ),
  kase('8.1', 'trailers carrying a pseudo-header field', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(
      c.post(1),
      dataFrame(1, 'abc'),
      headersFrame(1, c.trailers([[':path', '/x']]), { endStream: true }),
    ),
  ),
  kase('8.1.1', 'content-length larger than the DATA', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1, [['content-length', '10']]), dataFrame(1, 'abc', { endStream: true })),
  ),
  kase('8.1.1', 'DATA beyond content-length', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1, [['content-length', '3']]), dataFrame(1, 'ab'), dataFrame(1, 'cd', { endStream: true })),
  ),
  kase('8.1.1', 'non-zero content-length with END_STREAM on HEADERS', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(c.get(1, [['content-length', '5']])),
  ),
  kase('8.1.1', 'content-length that matches the DATA is accepted', response(1), (c) =>
    c.send(c.post(1, [['content-length', '3']]), dataFrame(1, 'abc', { endStream: true })),
  ),
]

/** §8.2.1: characters a field name or value must not have; each makes the request malformed. */
const badFields: Array<[string, string, string]> = [
  ['uppercase field name', 'X-Upper', '1'],
  ['field name with a space', 'x bad', '1'],
  ['field name with DEL (0x7f)', 'x\x7fbad', '1'],
  ['field name with a non-ASCII octet', 'x\xe9', '1'],
  ['field name with a colon', 'x:bad', '1'],
  ['empty field name', '', '1'],
  ['field value with NUL', 'x-bad', 'a\x00b'],
  ['field value with CR', 'x-bad', 'a\rb'],
  ['field value with LF', 'x-bad', 'a\nb'],
  ['field value starting with a space', 'x-bad', ' a'],
  ['field value ending with a tab', 'x-bad', 'a\t'],
]

const connectionSpecific = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']

const fields: ServerCase[] = [
  ...badFields.map(([title, name, value]) =>
    kase('8.2.1', title, streamError(1, E.PROTOCOL_ERROR), (c) => c.send(getWith(c, name, value))),
  ),
  ...connectionSpecific.map((name) =>
    kase('8.2.2', `connection-specific field "${name}"`, streamError(1, E.PROTOCOL_ERROR), (c) =>
      c.send(
        getWith(
          c,
          name,
          name === 'upgrade' ? 'websocket' : name === 'transfer-encoding' ? 'chunked' : 'keep-alive',
        ),
      ),
    ),
  ),
  kase('8.2.2', 'te other than "trailers"', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(getWith(c, 'te', 'gzip')),
  ),
  kase('8.2.2', 'te: trailers is accepted', response(1), (c) => c.send(getWith(c, 'te', 'trailers'))),
]

const pseudoHeaders: ServerCase[] = [
  kase('8.3', 'unknown pseudo-header field', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(request([...pseudo(c), [':foo', 'bar']])),
  ),
  kase('8.3', 'response pseudo-header field in a request', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(request([...pseudo(c), [':status', '200']])),
  ),
  kase('8.3', 'pseudo-header field after a regular field', streamError(1, E.PROTOCOL_ERROR), (c) => {
    const [m, s, a, p] = pseudo(c) as [[string, string], [string, string], [string, string], [string, string]]
    c.send(request([m, s, a, ['x-regular', '1'], p]))
  }),
  ...[':method', ':scheme', ':path'].map((name) =>
    kase('8.3.1', `request without ${name}`, streamError(1, E.PROTOCOL_ERROR), (c) =>
      c.send(request(pseudo(c).filter(([n]) => n !== name))),
    ),
  ),
  kase('8.3.1', 'empty :path', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(request(pseudo(c).map(([n, v]) => [n, n === ':path' ? '' : v] as [string, string]))),
  ),
  ...[':method', ':scheme', ':authority', ':path'].map((name) =>
    kase('8.3.1', `duplicated ${name}`, streamError(1, E.PROTOCOL_ERROR), (c) => {
      const all = pseudo(c)
      const dup = all.find(([n]) => n === name)!
      c.send(request([dup, ...all]))
    }),
  ),
  kase('8.5', 'CONNECT with :scheme and :path', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(request([[':method', 'CONNECT'], ...pseudo(c).slice(1)], false)),
  ),
  kase('8.5', 'CONNECT without :authority', streamError(1, E.PROTOCOL_ERROR), (c) =>
    c.send(request([[':method', 'CONNECT']], false)),
  ),
  kase('8.4', 'PUSH_PROMISE from a client', connectionError(E.PROTOCOL_ERROR), (c) =>
    c.send(c.post(1), pushPromiseFrame(1, 2, c.block(c.fields('GET')))),
  ),
]

const rfc7541: ServerCase[] = [
  kase('hpack 2.3.3', 'indexed field beyond the tables', connectionError(E.COMPRESSION_ERROR), (c) =>
    c.send(headersFrame(1, concat([c.rawGetBlock(), hpack.indexed(70)]), { endStream: true })),
  ),
  kase(
    'hpack 2.3.3',
    'literal whose name index is beyond the tables',
    connectionError(E.COMPRESSION_ERROR),
    (c) =>
      c.send(
        headersFrame(1, concat([c.rawGetBlock(), hpack.literalNameIndex(70, 'x')]), { endStream: true }),
      ),
  ),
  kase(
    'hpack 2.3.3',
    'index of an entry evicted by a size update',
    connectionError(E.COMPRESSION_ERROR),
    (c) => {
      c.send(
        headersFrame(1, concat([c.rawGetBlock(), hpack.literalIndexing('x-evicted', '1')]), {
          endStream: true,
        }),
      )
      c.send(
        headersFrame(3, concat([hpack.sizeUpdate(0), c.rawGetBlock(), hpack.indexed(62)]), {
          endStream: true,
        }),
      )
    },
  ),
  kase(
    'hpack 4.2',
    'table size update above SETTINGS_HEADER_TABLE_SIZE',
    connectionError(E.COMPRESSION_ERROR),
    (c) => {
      const limit = c.setting(S.HEADER_TABLE_SIZE, 4096)
      c.send(headersFrame(1, concat([hpack.sizeUpdate(limit + 1), c.rawGetBlock()]), { endStream: true }))
    },
  ),
  kase('hpack 4.2', 'table size update after a field', connectionError(E.COMPRESSION_ERROR), (c) => {
    const get = c.rawGetBlock()
    c.send(
      headersFrame(1, concat([get.subarray(0, 1), hpack.sizeUpdate(0), get.subarray(1)]), {
        endStream: true,
      }),
    )
  }),
  kase('hpack 4.2', 'table size updates at the start of a block are accepted', response(1), (c) =>
    c.send(
      headersFrame(1, concat([hpack.sizeUpdate(0), hpack.sizeUpdate(100), c.rawGetBlock()]), {
        endStream: true,
      }),
    ),
  ),
  kase('hpack 5.1', 'integer beyond any limit', connectionError(E.COMPRESSION_ERROR), (c) =>
    c.send(
      headersFrame(
        1,
        concat([c.rawGetBlock(), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f)]),
        {
          endStream: true,
        },
      ),
    ),
  ),
  kase('hpack 5.2', 'string longer than the block', connectionError(E.COMPRESSION_ERROR), (c) =>
    c.send(
      headersFrame(1, concat([c.rawGetBlock(), Uint8Array.of(0x00, 0x05, 0x61, 0x62)]), { endStream: true }),
    ),
  ),
  kase('hpack 5.2', 'Huffman string containing EOS', connectionError(E.COMPRESSION_ERROR), (c) =>
    c.send(
      headersFrame(
        1,
        concat([c.rawGetBlock(), hpack.literalHuffmanRaw('x-h', Uint8Array.of(0xff, 0xff, 0xff, 0xff))]),
        {
          endStream: true,
        },
      ),
    ),
  ),
  kase('hpack 5.2', 'Huffman padding longer than 7 bits', connectionError(E.COMPRESSION_ERROR), (c) =>
    // "a" is 00011; 11 bits of 1s follow it.
    c.send(
      headersFrame(1, concat([c.rawGetBlock(), hpack.literalHuffmanRaw('x-h', Uint8Array.of(0x1f, 0xff))]), {
        endStream: true,
      }),
    ),
  ),
  kase('hpack 5.2', 'Huffman padding that is not the EOS prefix', connectionError(E.COMPRESSION_ERROR), (c) =>
    // "a" (00011) then 000: padding must be 1s.
    c.send(
      headersFrame(1, concat([c.rawGetBlock(), hpack.literalHuffmanRaw('x-h', Uint8Array.of(0x18))]), {
        endStream: true,
      }),
    ),
  ),
  kase('hpack 6.1', 'indexed field with index 0', connectionError(E.COMPRESSION_ERROR), (c) =>
    c.send(headersFrame(1, concat([c.rawGetBlock(), hpack.indexed(0)]), { endStream: true })),
  ),
]

function sameBytes(f: ReadFrame, s: string): boolean {
  const d = (f as { data?: Uint8Array }).data
  return d !== undefined && d.length === s.length && d.every((b, i) => b === s.charCodeAt(i))
}

/** Every server case, in RFC order. */
export const serverCases: ServerCase[] = [
  ...preface,
  ...frameFormat,
  ...frameSize,
  ...fieldBlocks,
  ...idle,
  ...halfClosedRemote,
  ...closedAfterRst,
  ...closedAfterEnd,
  ...closedByServerReset,
  ...streamIds,
  ...concurrency,
  ...priority,
  ...errorHandling,
  ...extensions,
  ...data,
  ...headers,
  ...priorityFrames,
  ...rstStream,
  ...settings,
  ...ping,
  ...goAway,
  ...windowUpdate,
  ...continuation,
  ...messages,
  ...fields,
  ...pseudoHeaders,
  ...rfc7541,
]
