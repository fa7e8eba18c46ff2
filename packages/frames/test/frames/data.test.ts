import { describe, expect, it } from 'vitest'
import { type DataFrame, ErrorCode, encodeFrame, Flags, FrameType } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw, u8 } from '../support.js'

describe('DATA (RFC 9113 §6.1)', () => {
  it('round-trips an unpadded frame, the data a view of the input', () => {
    const frame: DataFrame = { type: FrameType.DATA, flags: Flags.END_STREAM, streamId: 3, data: u8(1, 2, 3) }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes)).toEqual([0, 0, 3, 0, 1, 0, 0, 0, 3, 1, 2, 3])
    const decoded = decodeOne(bytes) as DataFrame
    expect(decoded).toEqual(frame)
    expect(decoded.data.buffer).toBe(bytes.buffer)
    expect(decoded.data.byteOffset).toBe(9)
  })

  it('round-trips a padded frame and writes zero padding', () => {
    const frame: DataFrame = {
      type: FrameType.DATA,
      flags: Flags.PADDED,
      streamId: 1,
      data: u8(7),
      padLength: 3,
    }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes)).toEqual([0, 0, 5, 0, 8, 0, 0, 0, 1, 3, 7, 0, 0, 0])
    expect(decodeOne(bytes)).toEqual(frame)
  })

  it('sets PADDED from padLength and keeps unknown flags', () => {
    const bytes = encodeFrame({ type: FrameType.DATA, flags: 0xf0 | Flags.PADDED, streamId: 1, data: u8() })
    expect(bytes[4]).toBe(0xf0)
    const padded = encodeFrame({ type: FrameType.DATA, flags: 0x40, streamId: 1, data: u8(), padLength: 0 })
    expect(padded[4]).toBe(0x48)
    expect(decodeOne(padded)).toMatchObject({ flags: 0x48, padLength: 0, data: u8() })
  })

  it('accepts non-zero padding (a receiver is not obliged to check it)', () => {
    expect(decodeOne(raw(FrameType.DATA, Flags.PADDED, 1, [2, 9, 0xaa, 0xbb]))).toMatchObject({
      data: u8(9),
      padLength: 2,
    })
  })

  it('MUST: DATA on stream 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.DATA, 0, 0, [1]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'data-stream-0',
    })
  })

  it('MUST: padding as long as the payload or longer is a connection error PROTOCOL_ERROR', () => {
    // Pad Length 3 in a 4-octet payload: 1 + 3 = 4 leaves 0 data octets, still allowed.
    expect(decodeOne(raw(FrameType.DATA, Flags.PADDED, 1, [3, 0, 0, 0]))).toMatchObject({
      data: u8(),
      padLength: 3,
    })
    // Pad Length 4 in a 4-octet payload: padding length equals the payload length.
    expectDecodeError(raw(FrameType.DATA, Flags.PADDED, 1, [4, 0, 0, 0]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'pad-too-long',
    })
  })

  it('§4.2: PADDED with an empty payload (no Pad Length octet) is a FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.DATA, Flags.PADDED, 1, []), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'data-too-short',
    })
  })
})
