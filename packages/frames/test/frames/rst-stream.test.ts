import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, FrameType, type RstStreamFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw } from '../support.js'

describe('RST_STREAM (RFC 9113 §6.4)', () => {
  it('round-trips, unknown error codes included', () => {
    for (const errorCode of [ErrorCode.CANCEL, 0xdeadbeef]) {
      const frame: RstStreamFrame = { type: FrameType.RST_STREAM, flags: 0, streamId: 5, errorCode }
      expect(decodeOne(encodeFrame(frame))).toEqual(frame)
    }
    expect(
      Array.from(encodeFrame({ type: FrameType.RST_STREAM, flags: 0, streamId: 5, errorCode: 8 })),
    ).toEqual([0, 0, 4, 3, 0, 0, 0, 0, 5, 0, 0, 0, 8])
  })

  it('MUST: RST_STREAM on stream 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.RST_STREAM, 0, 0, [0, 0, 0, 8]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'rst-stream-stream-0',
    })
  })

  it('MUST: a length other than 4 is a connection error FRAME_SIZE_ERROR', () => {
    for (const payload of [
      [0, 0, 8],
      [0, 0, 0, 8, 0],
    ]) {
      expectDecodeError(raw(FrameType.RST_STREAM, 0, 1, payload), {
        code: ErrorCode.FRAME_SIZE_ERROR,
        scope: 'connection',
        reason: 'rst-stream-bad-length',
      })
    }
  })
})
