import { describe, expect, it } from 'vitest'
import {
  decodeFrameHeader,
  encodeDataFrameHeader,
  encodeFrameHeader,
  FrameDecoder,
  FrameType,
  FrameUsageError,
} from '../src/index.js'
import { raw, u8 } from './support.js'

describe('frame header (RFC 9113 §4.1)', () => {
  it('writes length, type, flags and stream id big-endian', () => {
    const out = new Uint8Array(11)
    expect(encodeFrameHeader(out, 2, 0x123456, 0xab, 0xcd, 0x7fffffff)).toBe(11)
    expect(Array.from(out)).toEqual([0, 0, 0x12, 0x34, 0x56, 0xab, 0xcd, 0x7f, 0xff, 0xff, 0xff])
    expect(decodeFrameHeader(out, 2)).toEqual({
      length: 0x123456,
      type: 0xab,
      flags: 0xcd,
      streamId: 0x7fffffff,
    })
  })

  it('MUST: the reserved bit is ignored when receiving', () => {
    expect(decodeFrameHeader(raw(0, 0, 0x80000003), 0).streamId).toBe(3)
    expect([...new FrameDecoder().push(raw(FrameType.DATA, 0, 0x80000003, [1]))]).toMatchObject([
      { streamId: 3 },
    ])
  })

  it('MUST: the reserved bit is zero when sending (a 32-bit stream id is refused)', () => {
    const out = new Uint8Array(9)
    expect(() => encodeFrameHeader(out, 0, 0, 0, 0, 0x80000000)).toThrow(FrameUsageError)
    expect(() => encodeFrameHeader(out, 0, 2 ** 24, 0, 0, 1)).toThrow(FrameUsageError)
    expect(() => encodeFrameHeader(out, 0, 1.5, 0, 0, 1)).toThrow(FrameUsageError)
    expect(() => encodeFrameHeader(out, 0, 0, 256, 0, 1)).toThrow(FrameUsageError)
    expect(() => encodeFrameHeader(out, 1, 0, 0, 0, 1)).toThrow(FrameUsageError)
  })

  it('encodeDataFrameHeader writes the header a DATA payload is sent after', () => {
    const out = new Uint8Array(9)
    encodeDataFrameHeader(out, 0, 7, 5, true)
    expect(Array.from(out)).toEqual([0, 0, 5, 0, 1, 0, 0, 0, 7])
    encodeDataFrameHeader(out, 0, 7, 5, false)
    expect(out[4]).toBe(0)
    expect(() => encodeDataFrameHeader(out, 0, 0, 5, false)).toThrow(FrameUsageError)
    expect(u8(...out.subarray(0, 3))).toEqual(u8(0, 0, 5))
  })
})
