import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, Flags, FrameType, FrameUsageError, type PingFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw, u8 } from '../support.js'

describe('PING (RFC 9113 §6.7)', () => {
  it('round-trips a PING and its ACK', () => {
    for (const flags of [0, Flags.ACK]) {
      const frame: PingFrame = { type: FrameType.PING, flags, streamId: 0, data: u8(1, 2, 3, 4, 5, 6, 7, 8) }
      const bytes = encodeFrame(frame)
      expect(Array.from(bytes.subarray(0, 9))).toEqual([0, 0, 8, 6, flags, 0, 0, 0, 0])
      expect(decodeOne(bytes)).toEqual(frame)
    }
  })

  it('the encoder refuses opaque data that is not 8 octets', () => {
    expect(() => encodeFrame({ type: FrameType.PING, flags: 0, streamId: 0, data: u8(1) })).toThrow(
      FrameUsageError,
    )
  })

  it('MUST: PING on a stream is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.PING, 0, 1, [0, 0, 0, 0, 0, 0, 0, 0]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'ping-not-stream-0',
    })
  })

  it('MUST: a length other than 8 is a connection error FRAME_SIZE_ERROR', () => {
    for (const n of [0, 7, 9]) {
      expectDecodeError(raw(FrameType.PING, 0, 0, new Array(n).fill(0)), {
        code: ErrorCode.FRAME_SIZE_ERROR,
        scope: 'connection',
        reason: 'ping-bad-length',
      })
    }
  })
})
