import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, FrameType, type GoAwayFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw, u8 } from '../support.js'

describe('GOAWAY (RFC 9113 §6.8)', () => {
  it('round-trips last stream id, code and debug data; unknown codes survive', () => {
    for (const errorCode of [ErrorCode.ENHANCE_YOUR_CALM, 0x1234abcd]) {
      const frame: GoAwayFrame = {
        type: FrameType.GOAWAY,
        flags: 0,
        streamId: 0,
        lastStreamId: 2 ** 31 - 1,
        errorCode,
        debugData: u8(104, 105),
      }
      expect(decodeOne(encodeFrame(frame))).toEqual(frame)
    }
  })

  it('ignores the reserved bit of Last-Stream-ID', () => {
    expect(decodeOne(raw(FrameType.GOAWAY, 0, 0, [0x80, 0, 0, 7, 0, 0, 0, 0]))).toMatchObject({
      lastStreamId: 7,
    })
  })

  it('MUST: GOAWAY on a stream is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.GOAWAY, 0, 1, [0, 0, 0, 0, 0, 0, 0, 0]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'goaway-not-stream-0',
    })
  })

  it('§4.2: shorter than 8 octets is a connection error FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.GOAWAY, 0, 0, [0, 0, 0, 0, 0, 0, 0]), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'goaway-too-short',
    })
  })
})
