import { describe, expect, it } from 'vitest'
import {
  decodeFrames,
  encodeHeadersBlock,
  encodeHeadersBlockInto,
  encodePushPromiseBlock,
  Flags,
  FrameType,
  FrameUsageError,
  type HeadersFrame,
  headersBlockLength,
  pushPromiseBlockLength,
} from '../src/index.js'

const block = (n: number) => new Uint8Array(n).map((_, i) => (i * 7) & 0xff)

function fragments(items: ReturnType<typeof decodeFrames>): Uint8Array {
  const parts = items.map((f) => ('fragment' in f ? f.fragment : new Uint8Array(0)))
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

describe('field block splitting (RFC 9113 §4.3, §6.10)', () => {
  it('one HEADERS frame with END_HEADERS when the block fits', () => {
    const items = decodeFrames(
      encodeHeadersBlock({ streamId: 1, block: block(100), maxFrameSize: 16384, endStream: true }),
    )
    expect(items).toMatchObject([{ type: FrameType.HEADERS, flags: Flags.END_HEADERS | Flags.END_STREAM }])
  })

  it('an empty block is one empty HEADERS frame', () => {
    const items = decodeFrames(encodeHeadersBlock({ streamId: 1, block: block(0), maxFrameSize: 16384 }))
    expect(items).toMatchObject([
      { type: FrameType.HEADERS, flags: Flags.END_HEADERS, fragment: new Uint8Array(0) },
    ])
  })

  it('splits by maxFrameSize: END_HEADERS on the last only; END_STREAM, priority, padding on HEADERS only', () => {
    const b = block(50)
    const opts = {
      streamId: 3,
      block: b,
      maxFrameSize: 20,
      endStream: true,
      priority: { dependency: 1, exclusive: false, weight: 16 },
      padLength: 2,
    }
    const bytes = encodeHeadersBlock(opts)
    expect(bytes.length).toBe(headersBlockLength(opts))
    const items = decodeFrames(bytes)
    expect(items.map((f) => ('type' in f ? [f.type, f.flags] : []))).toEqual([
      [FrameType.HEADERS, Flags.END_STREAM | Flags.PRIORITY | Flags.PADDED],
      [FrameType.CONTINUATION, 0],
      [FrameType.CONTINUATION, Flags.END_HEADERS],
    ])
    // 12 fragment octets in HEADERS (20 - pad length octet - 5 priority - 2 padding), then 20 + 18.
    const first = items[0] as HeadersFrame
    expect(first.fragment.length).toBe(20 - 1 - 5 - 2)
    expect(first).toMatchObject({ padLength: 2, priority: { dependency: 1, weight: 16 } })
    for (const f of items) expect('type' in f && f.streamId).toBe(3)
    expect(Array.from(fragments(items))).toEqual(Array.from(b))
    // Every payload is within maxFrameSize.
    let o = 0
    while (o < bytes.length) {
      const len = (bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!
      expect(len).toBeLessThanOrEqual(20)
      o += 9 + len
    }
  })

  it('splits PUSH_PROMISE the same way', () => {
    const b = block(40)
    const opts = { streamId: 1, promisedStreamId: 2, block: b, maxFrameSize: 16 }
    const bytes = encodePushPromiseBlock(opts)
    expect(bytes.length).toBe(pushPromiseBlockLength(opts))
    const items = decodeFrames(bytes)
    expect(items[0]).toMatchObject({ type: FrameType.PUSH_PROMISE, flags: 0, promisedStreamId: 2 })
    expect(items.at(-1)).toMatchObject({ type: FrameType.CONTINUATION, flags: Flags.END_HEADERS })
    expect(Array.from(fragments(items))).toEqual(Array.from(b))
  })

  it('writes into a buffer at an offset and refuses what cannot fit', () => {
    const opts = { streamId: 1, block: block(10), maxFrameSize: 16384 }
    const out = new Uint8Array(5 + headersBlockLength(opts))
    expect(encodeHeadersBlockInto(opts, out, 5)).toBe(out.length)
    expect(() => encodeHeadersBlockInto(opts, out, 6)).toThrow(FrameUsageError)
    expect(() =>
      encodeHeadersBlock({
        ...opts,
        maxFrameSize: 4,
        priority: { dependency: 0, exclusive: false, weight: 1 },
      }),
    ).toThrow(FrameUsageError)
  })
})
