import { describe, expect, it } from 'vitest'
import {
  type DataFrame,
  type DecodedItem,
  ErrorCode,
  encodeFrame,
  encodeFrames,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  FrameUsageError,
  isFrameError,
  isFrameUsageError,
} from '../src/index.js'
import { concat, expectDecodeError, plain, raw, u8 } from './support.js'

const ping = (n: number): Frame => ({
  type: FrameType.PING,
  flags: 0,
  streamId: 0,
  data: u8(n, 0, 0, 0, 0, 0, 0, n),
})
const data = (streamId: number, size: number): DataFrame => ({
  type: FrameType.DATA,
  flags: 0,
  streamId,
  data: new Uint8Array(size).map((_, i) => i),
})

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): DecodedItem[] {
  const out: DecodedItem[] = []
  for (const c of chunks) for (const item of decoder.push(c)) out.push(item)
  return out
}

describe('FrameDecoder', () => {
  it('decodes several frames from one chunk, in order', () => {
    const frames = [ping(1), data(1, 3), ping(2)]
    expect(plain(collect(new FrameDecoder(), [encodeFrames(frames)]))).toEqual(plain(frames))
  })

  it('decodes the same frames fed one byte at a time', () => {
    const frames = [
      ping(1),
      data(1, 300),
      { type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, increment: 9 } as Frame,
    ]
    const bytes = encodeFrames(frames)
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))
    expect(plain(collect(new FrameDecoder(), chunks))).toEqual(plain(frames))
  })

  it('views into the chunk when a frame lies inside it; a copy only when it straddles', () => {
    const bytes = encodeFrames([data(1, 10), data(1, 10)])
    const decoder = new FrameDecoder()
    const first = [...decoder.push(bytes.subarray(0, 33))] as DataFrame[]
    expect(first).toHaveLength(1)
    expect(first[0]!.data.buffer).toBe(bytes.buffer)
    // The second frame's payload (octets 28..38) is split at 33.
    const second = [...decoder.push(bytes.subarray(33))] as DataFrame[]
    expect(second).toHaveLength(1)
    expect(second[0]!.data.buffer).not.toBe(bytes.buffer)
    expect(Array.from(second[0]!.data)).toEqual(Array.from(data(1, 10).data))
  })

  it('holds at most one partial frame: bufferedBytes stays within maxFrameSize + 9', () => {
    const big = encodeFrame(data(1, 16384))
    const decoder = new FrameDecoder()
    let max = 0
    for (let i = 0; i < big.length; i += 1000) {
      expect([...decoder.push(big.subarray(i, i + 1000))].length).toBe(i + 1000 >= big.length ? 1 : 0)
      max = Math.max(max, decoder.bufferedBytes)
    }
    expect(max).toBeLessThanOrEqual(16384 + 9)
    expect(decoder.bufferedBytes).toBe(0)
  })

  it('rejects a frame above maxFrameSize from its header alone (connection FRAME_SIZE_ERROR)', () => {
    const header = raw(FrameType.DATA, 0, 1, [], 16385)
    expectDecodeError(header, {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'frame-too-large',
    })
    // Exactly maxFrameSize is fine.
    expect([...new FrameDecoder().push(encodeFrame(data(1, 16384)))]).toHaveLength(1)
  })

  it('setMaxFrameSize applies from the next frame, even within one chunk', () => {
    const settingsAck = encodeFrame({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] })
    const bytes = concat(settingsAck, encodeFrame(data(1, 20000)))
    const decoder = new FrameDecoder()
    const seen: number[] = []
    for (const item of decoder.push(bytes)) {
      if (isFrameError(item)) throw item
      seen.push(item.type)
      if (item.type === FrameType.SETTINGS) decoder.setMaxFrameSize(32768)
    }
    expect(seen).toEqual([FrameType.SETTINGS, FrameType.DATA])
    expect(decoder.maxFrameSize).toBe(32768)
    expect(() => decoder.setMaxFrameSize(16383)).toThrow(FrameUsageError)
    expect(() => new FrameDecoder({ maxFrameSize: 2 ** 24 })).toThrow(FrameUsageError)
  })

  it('yields frames before a connection error, then throws it and stays dead', () => {
    const bytes = concat(encodeFrame(ping(1)), raw(FrameType.DATA, 0, 0, [1]), encodeFrame(ping(2)))
    const decoder = new FrameDecoder()
    const seen: DecodedItem[] = []
    let error: unknown
    try {
      for (const item of decoder.push(bytes)) seen.push(item)
    } catch (e) {
      error = e
    }
    expect(seen).toHaveLength(1)
    expect(isFrameError(error) && error.reason).toBe('data-stream-0')
    expect(decoder.error).toBe(error)
    expect(() => decoder.push(encodeFrame(ping(3)))).toThrow(error as Error)
  })

  it('yields a stream error in place and goes on with the next frame', () => {
    const bytes = concat(
      encodeFrame(ping(1)),
      raw(FrameType.WINDOW_UPDATE, 0, 5, [0, 0, 0, 0]),
      raw(FrameType.PRIORITY, 0, 7, [0, 0]),
      encodeFrame(ping(2)),
    )
    for (const chunks of [[bytes], Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))]) {
      const items = collect(new FrameDecoder(), chunks)
      expect(items.map((i) => (isFrameError(i) ? `${i.reason}@${i.streamId}` : i.type))).toEqual([
        FrameType.PING,
        'window-update-zero-increment@5',
        'priority-bad-length@7',
        FrameType.PING,
      ])
    }
  })

  it('refuses a push() while the previous chunk still has unread frames', () => {
    const decoder = new FrameDecoder()
    const it = decoder.push(encodeFrames([ping(1), ping(2)]))
    expect(it.next().done).toBe(false)
    let error: unknown
    try {
      decoder.push(encodeFrame(ping(3)))
    } catch (e) {
      error = e
    }
    expect(isFrameUsageError(error)).toBe(true)
    // Finishing the iteration makes the decoder usable again.
    expect([...it]).toHaveLength(1)
    expect([...decoder.push(encodeFrame(ping(3)))]).toHaveLength(1)
  })

  it('preface "server": the first frame must be a SETTINGS frame, not an ACK', () => {
    const settings = encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] })
    expect([
      ...new FrameDecoder({ preface: 'server' }).push(concat(settings, encodeFrame(ping(1)))),
    ]).toHaveLength(2)
    expectDecodeError(
      encodeFrame(ping(1)),
      { code: ErrorCode.PROTOCOL_ERROR, scope: 'connection', reason: 'preface-not-settings' },
      { preface: 'server' },
    )
    expectDecodeError(
      raw(FrameType.SETTINGS, Flags.ACK, 0, []),
      { code: ErrorCode.PROTOCOL_ERROR, scope: 'connection', reason: 'preface-not-settings' },
      { preface: 'server' },
    )
  })

  it('an empty chunk yields nothing', () => {
    expect([...new FrameDecoder().push(u8())]).toEqual([])
  })
})
