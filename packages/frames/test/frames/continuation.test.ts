import { describe, expect, it } from 'vitest'
import { type ContinuationFrame, ErrorCode, encodeFrame, Flags, FrameType } from '../../src/index.js'
import { decodeItems, decodeOne, expectDecodeError, raw, u8 } from '../support.js'

describe('CONTINUATION (RFC 9113 §6.10)', () => {
  it('round-trips, empty fragments included', () => {
    for (const fragment of [u8(), u8(1, 2, 3)]) {
      const frame: ContinuationFrame = {
        type: FrameType.CONTINUATION,
        flags: Flags.END_HEADERS,
        streamId: 50,
        fragment,
      }
      expect(decodeOne(encodeFrame(frame))).toEqual(frame)
    }
  })

  it('MUST: CONTINUATION on stream 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.CONTINUATION, 0, 0, [1]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'continuation-stream-0',
    })
  })

  it('leaves sequencing to the engine: a lone CONTINUATION decodes (the engine owns §6.10 ordering)', () => {
    expect(decodeItems(raw(FrameType.CONTINUATION, 0, 1, [1]))).toMatchObject([
      { type: FrameType.CONTINUATION },
    ])
  })
})
