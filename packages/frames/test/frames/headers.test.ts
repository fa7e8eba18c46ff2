import { describe, expect, it } from 'vitest'
import {
  ErrorCode,
  encodeFrame,
  Flags,
  FrameType,
  FrameUsageError,
  type HeadersFrame,
} from '../../src/index.js'
import { decodeOne, expectDecodeError, raw, u8 } from '../support.js'

describe('HEADERS (RFC 9113 §6.2)', () => {
  it('round-trips a plain frame', () => {
    const frame: HeadersFrame = {
      type: FrameType.HEADERS,
      flags: Flags.END_HEADERS,
      streamId: 1,
      fragment: u8(0x82, 0x86),
    }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes)).toEqual([0, 0, 2, 1, 4, 0, 0, 0, 1, 0x82, 0x86])
    expect(decodeOne(bytes)).toEqual(frame)
  })

  it('round-trips padding and priority; weight is 1-256, the wire carries weight - 1', () => {
    const frame: HeadersFrame = {
      type: FrameType.HEADERS,
      flags: Flags.END_HEADERS | Flags.END_STREAM | Flags.PADDED | Flags.PRIORITY,
      streamId: 5,
      fragment: u8(0x82),
      padLength: 2,
      priority: { dependency: 3, exclusive: true, weight: 256 },
    }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes)).toEqual([0, 0, 9, 1, 0x2d, 0, 0, 0, 5, 2, 0x80, 0, 0, 3, 255, 0x82, 0, 0])
    expect(decodeOne(bytes)).toEqual(frame)
    const w1 = encodeFrame({ ...frame, priority: { dependency: 0, exclusive: false, weight: 1 } })
    expect(w1[14]).toBe(0)
  })

  it('the encoder sets PRIORITY and PADDED from the fields, not from flags', () => {
    const bytes = encodeFrame({
      type: FrameType.HEADERS,
      flags: Flags.PRIORITY | Flags.PADDED,
      streamId: 1,
      fragment: u8(1),
    })
    expect(bytes[4]).toBe(0)
    expect(bytes.length).toBe(10)
  })

  it('refuses weights outside 1..256 and 32-bit dependencies', () => {
    const base = { type: FrameType.HEADERS, flags: 0, streamId: 1, fragment: u8() } as const
    expect(() => encodeFrame({ ...base, priority: { dependency: 1, exclusive: false, weight: 0 } })).toThrow(
      FrameUsageError,
    )
    expect(() =>
      encodeFrame({ ...base, priority: { dependency: 1, exclusive: false, weight: 257 } }),
    ).toThrow(FrameUsageError)
    expect(() =>
      encodeFrame({ ...base, priority: { dependency: 2 ** 31, exclusive: false, weight: 1 } }),
    ).toThrow(FrameUsageError)
  })

  it('does not check self-dependency: RFC 9113 dropped that rule (RFC 7540 §5.3.1), the engine may keep it', () => {
    const frame = decodeOne(raw(FrameType.HEADERS, Flags.PRIORITY | Flags.END_HEADERS, 3, [0, 0, 0, 3, 15]))
    expect(frame).toMatchObject({ priority: { dependency: 3, exclusive: false, weight: 16 }, fragment: u8() })
  })

  it('MUST: HEADERS on stream 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.HEADERS, Flags.END_HEADERS, 0, [0x82]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'headers-stream-0',
    })
  })

  it('MUST: padding as long as the payload or longer is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.HEADERS, Flags.PADDED, 1, [4, 0, 0, 0]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'pad-too-long',
    })
    // With PRIORITY the padding must also leave room for the 5 priority octets.
    expectDecodeError(raw(FrameType.HEADERS, Flags.PADDED | Flags.PRIORITY, 1, [1, 0, 0, 0, 1, 15]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'pad-too-long',
    })
  })

  it('§4.2: too short for the fields PRIORITY and PADDED announce is a connection FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.HEADERS, Flags.PRIORITY, 1, [0, 0, 0, 1]), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'headers-too-short',
    })
    expectDecodeError(raw(FrameType.HEADERS, Flags.PADDED, 1, []), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'headers-too-short',
    })
  })
})
