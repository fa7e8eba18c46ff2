// The frame-builder kit itself: builders produce the frames they say, and the test peer's handshake works.
import {
  type DecodedItem,
  decodeFrames,
  ErrorCode,
  Flags,
  type Frame,
  FrameType,
  isFrameError,
  SettingId,
} from '@h2ts/frames'
import { Decoder, Encoder } from '@h2ts/hpack'
import { describe, expect, it } from 'vitest'
import {
  clientUnderTest,
  continuation,
  data,
  goAway,
  headers,
  ping,
  priority,
  raw,
  rstStream,
  serverUnderTest,
  settings,
  settingsAck,
  windowUpdate,
} from '../support/frames.js'

function asFrame(item: DecodedItem): Frame {
  if (isFrameError(item)) throw item
  return item
}

describe('frame kit', () => {
  it('builds the frames it names', () => {
    const hpack = new Encoder()
    const ctx = { hpack }
    const bytes = [
      headers(1).request('GET', '/').eos().encode(ctx),
      data(1, 'hello').eos().padded(10).encode(),
      continuation(3, Uint8Array.of(0x82)).endHeaders().encode(ctx),
      settings({ initialWindowSize: 10, enablePush: false }).encode(ctx),
      settingsAck().encode(ctx),
      ping('abcdefgh').ack().encode(),
      windowUpdate(0, 100).encode(ctx),
      rstStream(1, ErrorCode.CANCEL).encode(ctx),
      goAway(7, ErrorCode.PROTOCOL_ERROR, 'bye').encode(ctx),
      priority(5, { dependency: 3, weight: 200, exclusive: true }).encode(ctx),
    ]
    const all = bytes.flatMap((b) => decodeFrames(b)).map(asFrame)
    expect(all.map((f) => f.type)).toEqual([1, 0, 9, 4, 4, 6, 8, 3, 7, 2])
    const [h, d, c, s, ack, p, wu, rst, ga, pr] = all as unknown as Array<Record<string, unknown>>
    expect(h).toMatchObject({ streamId: 1, flags: Flags.END_STREAM | Flags.END_HEADERS })
    expect(new Decoder().decodeFields(h!['fragment'] as Uint8Array)).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'example.com'],
      [':path', '/'],
    ])
    expect(d).toMatchObject({ streamId: 1, padLength: 10, flags: Flags.END_STREAM | Flags.PADDED })
    expect(new TextDecoder().decode(d!['data'] as Uint8Array)).toBe('hello')
    expect(c).toMatchObject({ streamId: 3, flags: Flags.END_HEADERS })
    expect(s!['settings']).toEqual([
      { id: SettingId.INITIAL_WINDOW_SIZE, value: 10 },
      { id: SettingId.ENABLE_PUSH, value: 0 },
    ])
    expect(ack).toMatchObject({ flags: Flags.ACK, settings: [] })
    expect(p).toMatchObject({ flags: Flags.ACK })
    expect(wu).toMatchObject({ streamId: 0, increment: 100 })
    expect(rst).toMatchObject({ streamId: 1, errorCode: ErrorCode.CANCEL })
    expect(ga).toMatchObject({ lastStreamId: 7, errorCode: ErrorCode.PROTOCOL_ERROR })
    expect(pr).toMatchObject({ streamId: 5, priority: { dependency: 3, weight: 200, exclusive: true } })
    // raw frames keep an invalid payload: a PING of 5 octets does not decode
    expect(() => decodeFrames(raw(FrameType.PING, 0, 0, 'short').encode(ctx))).toThrow(/ping-bad-length/)
  })

  it('splits a header block into HEADERS + CONTINUATION with one shared encoder', () => {
    const hpack = new Encoder()
    const frames = decodeFrames(headers(1).request('GET', '/x').continuations(2).encode({ hpack })).map(
      asFrame,
    )
    expect(frames.map((f) => [f.type, f.flags])).toEqual([
      [FrameType.HEADERS, 0],
      [FrameType.CONTINUATION, 0],
      [FrameType.CONTINUATION, Flags.END_HEADERS],
    ])
  })

  it('runs the handshake with a server and with a client under test', () => {
    const s = serverUnderTest()
    expect(s.engineSettings.length).toBeGreaterThan(0)
    s.expectNothing()
    s.expectAlive()
    const c = clientUnderTest()
    c.expectNothing()
    c.expectAlive()
  })
})
