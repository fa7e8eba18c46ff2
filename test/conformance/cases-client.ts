/**
 * The client cases: the rules of RFC 9113 and RFC 7541 a *server* can break, checked on the client under
 * test. The client has sent `GET /` on stream 1 (END_STREAM, so the stream is half-closed (local) on its
 * side) when a case's bytes go out, unless the case replaces the server preface.
 */
import { ErrorCode, Flags, FrameType, SettingId } from '@h2ts/frames'
import type { ClientCase, ClientCaseContext } from './client-runner.js'
import {
  connectionError,
  type Expectation,
  ignored,
  streamError,
  streamOrConnectionError,
} from './harness.js'
import {
  concat,
  continuationFrame,
  dataFrame,
  filler,
  headersFrame,
  hpack,
  isPingAck,
  pingFrame,
  pushPromiseFrame,
  rawFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from './wire.js'

const E = ErrorCode
const S = SettingId
const T = FrameType

function kase(
  id: string,
  title: string,
  expect: Expectation,
  act: ClientCase['act'],
  preface?: Uint8Array,
): ClientCase {
  return { id, title, expect, act, ...(preface === undefined ? {} : { preface }) }
}

/** A bad server preface: the SETTINGS frame is the violation. */
const badSettings = (
  id: string,
  title: string,
  expect: Expectation,
  entries: Array<readonly [number, number]>,
) => kase(id, title, expect, () => {}, settingsFrame(entries))

/** A response on stream 1 whose fields are exactly these, as raw literals (no validation on our side). */
function rawResponse(fields: Array<[string, string]>, endStream = true): Uint8Array {
  return headersFrame(1, concat(fields.map(([n, v]) => hpack.literal(n, v))), { endStream })
}

/** A response on stream 1 with one more field (written as a literal). */
function responseWith(s: ClientCaseContext, name: string, value: string): Uint8Array {
  return headersFrame(1, concat([s.peer.block(s.ok()), hpack.literal(name, value)]), { endStream: true })
}

const acked: Expectation = {
  kind: 'frame',
  what: 'SETTINGS ACK',
  check: () => (f) => f.type === T.SETTINGS && (f.flags & Flags.ACK) !== 0,
}

/** Stream 1 complete: response HEADERS with END_STREAM. */
const complete = (s: ClientCaseContext) => s.respond(1, s.ok(), { endStream: true })

export const clientCases: ClientCase[] = [
  kase(
    '3.4',
    'server preface is a PING, not SETTINGS (GOAWAY may be omitted)',
    { kind: 'error', goaway: [E.PROTOCOL_ERROR], closeOk: true },
    () => {},
    pingFrame('notfirst'),
  ),
  kase('4.1', 'frame of an unknown type', ignored, (s) => s.send(rawFrame(0xfa, 0, 0, filler(8)))),
  kase(
    '4.2',
    'DATA larger than SETTINGS_MAX_FRAME_SIZE (a DATA frame may be a stream error)',
    streamOrConnectionError(1, E.FRAME_SIZE_ERROR),
    (s) => s.send(s.respond(1, s.ok()), dataFrame(1, filler(16385))),
  ),
  kase('4.2', 'HEADERS larger than SETTINGS_MAX_FRAME_SIZE', connectionError(E.FRAME_SIZE_ERROR), (s) =>
    s.send(
      headersFrame(1, concat([s.peer.block(s.ok()), hpack.literal('x-pad', 'p'.repeat(16384))]), {
        endStream: true,
      }),
    ),
  ),
  kase('4.3', 'undecodable response field block', connectionError(E.COMPRESSION_ERROR), (s) =>
    s.send(headersFrame(1, Uint8Array.of(0x7f), { endStream: true })),
  ),
  kase('4.3', 'PING inside a response field block', connectionError(E.PROTOCOL_ERROR), (s) => {
    const block = s.peer.block(s.ok())
    s.send(headersFrame(1, block.subarray(0, 1), { endHeaders: false }), pingFrame('inblock!'))
  }),
  kase('5.1', 'idle: DATA on a stream the client has not opened', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(dataFrame(3, 'x')),
  ),
  kase('5.1', 'idle: RST_STREAM', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(rstStreamFrame(3, E.CANCEL)),
  ),
  kase('5.1', 'idle: WINDOW_UPDATE', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(windowUpdateFrame(3, 1)),
  ),
  kase(
    '5.1.1',
    'HEADERS opening a server stream (servers push with PUSH_PROMISE)',
    connectionError(E.PROTOCOL_ERROR),
    (s) => s.send(s.respond(2, s.ok(), { endStream: true })),
  ),
  kase(
    '5.1',
    'closed: DATA after END_STREAM (§5.1 connection error, §6.1 stream error)',
    streamOrConnectionError(1, E.STREAM_CLOSED),
    (s) => s.send(complete(s), dataFrame(1, 'x')),
  ),
  kase('5.1', 'closed: HEADERS after END_STREAM', connectionError(E.STREAM_CLOSED), (s) =>
    s.send(complete(s), s.respond(1, [['x-trailer', '1']], { endStream: true })),
  ),
  kase('5.1', 'closed: DATA after the server sent RST_STREAM', streamError(1, E.STREAM_CLOSED), (s) =>
    s.send(s.respond(1, s.ok()), rstStreamFrame(1, E.INTERNAL_ERROR), dataFrame(1, 'x')),
  ),
  kase('5.1', 'closed: WINDOW_UPDATE after END_STREAM is allowed', ignored, (s) =>
    s.send(complete(s), windowUpdateFrame(1, 1)),
  ),
  kase('6.1', 'DATA on stream 0', connectionError(E.PROTOCOL_ERROR), (s) => s.send(dataFrame(0, 'x'))),
  kase('6.1', 'DATA whose padding is as long as the payload', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(s.respond(1, s.ok()), rawFrame(T.DATA, Flags.PADDED, 1, Uint8Array.of(4, 0x61, 0, 0))),
  ),
  kase('6.2', 'HEADERS on stream 0', connectionError(E.PROTOCOL_ERROR), (s) => s.send(s.respond(0, s.ok()))),
  kase('6.4', 'RST_STREAM on stream 0', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(rstStreamFrame(0, E.CANCEL)),
  ),
  kase('6.4', 'RST_STREAM of 3 octets', connectionError(E.FRAME_SIZE_ERROR), (s) =>
    s.send(rawFrame(T.RST_STREAM, 0, 1, Uint8Array.of(0, 0, 8))),
  ),
  kase('6.5', 'SETTINGS ACK with a payload', connectionError(E.FRAME_SIZE_ERROR), (s) =>
    s.send(rawFrame(T.SETTINGS, Flags.ACK, 0, filler(6))),
  ),
  kase('6.5', 'SETTINGS on stream 1', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(rawFrame(T.SETTINGS, 0, 1)),
  ),
  kase('6.5', 'SETTINGS of 3 octets', connectionError(E.FRAME_SIZE_ERROR), (s) =>
    s.send(rawFrame(T.SETTINGS, 0, 0, Uint8Array.of(0, 4, 0))),
  ),
  badSettings('6.5.2', 'SETTINGS_ENABLE_PUSH = 1 from a server', connectionError(E.PROTOCOL_ERROR), [
    [S.ENABLE_PUSH, 1],
  ]),
  badSettings('6.5.2', 'SETTINGS_ENABLE_PUSH = 2', connectionError(E.PROTOCOL_ERROR), [[S.ENABLE_PUSH, 2]]),
  badSettings('6.5.2', 'SETTINGS_INITIAL_WINDOW_SIZE = 2^31', connectionError(E.FLOW_CONTROL_ERROR), [
    [S.INITIAL_WINDOW_SIZE, 2 ** 31],
  ]),
  badSettings('6.5.2', 'SETTINGS_MAX_FRAME_SIZE = 16383', connectionError(E.PROTOCOL_ERROR), [
    [S.MAX_FRAME_SIZE, 16383],
  ]),
  badSettings('6.5.2', 'SETTINGS_MAX_FRAME_SIZE = 2^24', connectionError(E.PROTOCOL_ERROR), [
    [S.MAX_FRAME_SIZE, 2 ** 24],
  ]),
  kase('6.5.2', 'unknown setting identifier', acked, (s) => s.send(settingsFrame([[0xf0f0, 1]]))),
  kase('6.5.3', 'SETTINGS is acknowledged', acked, (s) =>
    s.send(settingsFrame([[S.MAX_CONCURRENT_STREAMS, 10]])),
  ),
  kase('8.4', 'PUSH_PROMISE while push is disabled', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(
      pushPromiseFrame(
        1,
        2,
        s.peer.block([
          [':method', 'GET'],
          [':scheme', 'http'],
          [':authority', 'x'],
          [':path', '/p'],
        ]),
      ),
    ),
  ),
  kase(
    '6.7',
    'PING is answered with the same payload',
    { kind: 'frame', what: 'its PING ACK', check: () => (f) => isPingAck(f) && sameBytes(f, 'srvping!') },
    (s) => s.send(pingFrame('srvping!')),
  ),
  kase(
    '6.7',
    'unsolicited PING ACK',
    {
      kind: 'ignored',
      forbid: (f) =>
        isPingAck(f) && sameBytes(f, 'unasked!') ? 'the client answered a PING ACK' : undefined,
    },
    (s) => s.send(pingFrame('unasked!', true)),
  ),
  kase('6.7', 'PING on stream 1', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(rawFrame(T.PING, 0, 1, filler(8))),
  ),
  kase('6.7', 'PING of 6 octets', connectionError(E.FRAME_SIZE_ERROR), (s) =>
    s.send(rawFrame(T.PING, 0, 0, filler(6))),
  ),
  kase('6.8', 'GOAWAY on stream 1', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(rawFrame(T.GOAWAY, 0, 1, filler(8))),
  ),
  kase('6.9', 'WINDOW_UPDATE of 0 on the connection', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(windowUpdateFrame(0, 0)),
  ),
  kase('6.9', 'WINDOW_UPDATE of 0 on a stream', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(windowUpdateFrame(1, 0)),
  ),
  kase('6.9', 'WINDOW_UPDATE of 3 octets', connectionError(E.FRAME_SIZE_ERROR), (s) =>
    s.send(rawFrame(T.WINDOW_UPDATE, 0, 0, Uint8Array.of(0, 0, 1))),
  ),
  kase('6.9.1', 'window overflow on the connection', connectionError(E.FLOW_CONTROL_ERROR), (s) =>
    s.send(windowUpdateFrame(0, 0x7fff_ffff)),
  ),
  kase('6.9.1', 'window overflow on stream', streamError(1, E.FLOW_CONTROL_ERROR), (s) =>
    s.send(windowUpdateFrame(1, 0x7fff_ffff)),
  ),
  kase('6.10', 'CONTINUATION without a field block before it', connectionError(E.PROTOCOL_ERROR), (s) =>
    s.send(s.respond(1, s.ok()), continuationFrame(1, s.peer.block([['x-a', '1']]), true)),
  ),
  kase('8.1', 'trailers without END_STREAM', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(s.respond(1, s.ok()), dataFrame(1, 'abc'), s.respond(1, [['x-trailer', '1']])),
  ),
  kase('8.1', 'informational (1xx) response with END_STREAM', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(s.respond(1, [[':status', '103']], { endStream: true })),
  ),
  kase('8.1', 'DATA before the response header section', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(dataFrame(1, 'early', { endStream: true })),
  ),
  kase('8.1.1', 'content-length larger than the DATA', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(s.respond(1, s.ok([['content-length', '10']])), dataFrame(1, 'abc', { endStream: true })),
  ),
  kase('8.2.1', 'uppercase field name in a response', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(responseWith(s, 'X-Upper', '1')),
  ),
  kase('8.2.1', 'response field value with CR', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(responseWith(s, 'x-bad', 'a\rb')),
  ),
  kase('8.2.2', 'connection-specific field in a response', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(responseWith(s, 'connection', 'close')),
  ),
  kase('8.3.2', 'response without :status', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(rawResponse([['content-type', 'text/plain']])),
  ),
  kase('8.3.2', 'response with a two-digit :status', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(rawResponse([[':status', '20']])),
  ),
  kase('8.3.2', 'response with :status twice', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(
      rawResponse([
        [':status', '200'],
        [':status', '204'],
      ]),
    ),
  ),
  kase('8.3.2', 'request pseudo-header field in a response', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(
      rawResponse([
        [':status', '200'],
        [':path', '/'],
      ]),
    ),
  ),
  kase(
    '8.3',
    'pseudo-header field after a regular field in a response',
    streamError(1, E.PROTOCOL_ERROR),
    (s) =>
      s.send(
        rawResponse([
          ['content-type', 'text/plain'],
          [':status', '200'],
        ]),
      ),
  ),
  kase('8.1', 'pseudo-header field in response trailers', streamError(1, E.PROTOCOL_ERROR), (s) =>
    s.send(
      s.respond(1, s.ok()),
      dataFrame(1, 'abc'),
      s.respond(1, [[':status', '200']], { endStream: true }),
    ),
  ),
  kase('hpack 6.1', 'indexed field with index 0 in a response', connectionError(E.COMPRESSION_ERROR), (s) =>
    s.send(headersFrame(1, concat([hpack.indexed(8), hpack.indexed(0)]), { endStream: true })),
  ),
  kase(
    'hpack 2.3.3',
    'indexed field beyond the tables in a response',
    connectionError(E.COMPRESSION_ERROR),
    (s) => s.send(headersFrame(1, concat([hpack.indexed(8), hpack.indexed(70)]), { endStream: true })),
  ),
  kase(
    'hpack 4.2',
    'table size update above the client SETTINGS_HEADER_TABLE_SIZE',
    connectionError(E.COMPRESSION_ERROR),
    (s) => s.send(headersFrame(1, concat([hpack.sizeUpdate(4097), hpack.indexed(8)]), { endStream: true })),
  ),
  kase(
    'hpack 5.2',
    'Huffman string containing EOS in a response',
    connectionError(E.COMPRESSION_ERROR),
    (s) =>
      s.send(
        headersFrame(
          1,
          concat([hpack.indexed(8), hpack.literalHuffmanRaw('x-h', Uint8Array.of(0xff, 0xff, 0xff, 0xff))]),
          { endStream: true },
        ),
      ),
  ),
]

function sameBytes(f: { data?: Uint8Array } | object, s: string): boolean {
  const d = (f as { data?: Uint8Array }).data
  return d !== undefined && d.length === s.length && d.every((b, i) => b === s.charCodeAt(i))
}
