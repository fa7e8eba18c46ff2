import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, FrameType, type WindowUpdateFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw } from '../support.js'

describe('WINDOW_UPDATE (RFC 9113 §6.9)', () => {
  it('round-trips on a stream and on the connection', () => {
    for (const [streamId, increment] of [
      [0, 1],
      [7, 2 ** 31 - 1],
    ] as const) {
      const frame: WindowUpdateFrame = { type: FrameType.WINDOW_UPDATE, flags: 0, streamId, increment }
      expect(decodeOne(encodeFrame(frame))).toEqual(frame)
    }
  })

  it('ignores the reserved bit of the increment', () => {
    expect(decodeOne(raw(FrameType.WINDOW_UPDATE, 0, 1, [0x80, 0, 0, 5]))).toMatchObject({ increment: 5 })
  })

  it('MUST: increment 0 on a stream is a STREAM error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.WINDOW_UPDATE, 0, 3, [0, 0, 0, 0]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'stream',
      reason: 'window-update-zero-increment',
      streamId: 3,
    })
  })

  it('MUST: increment 0 on stream 0 is a connection error PROTOCOL_ERROR', () => {
    // The reserved bit alone does not make the increment non-zero.
    expectDecodeError(raw(FrameType.WINDOW_UPDATE, 0, 0, [0x80, 0, 0, 0]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'window-update-zero-increment',
    })
  })

  it('MUST: a length other than 4 is a connection error FRAME_SIZE_ERROR, on a stream too', () => {
    expectDecodeError(raw(FrameType.WINDOW_UPDATE, 0, 1, [0, 0, 1]), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'window-update-bad-length',
    })
  })
})
