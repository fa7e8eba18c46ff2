import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, FrameType, type PriorityUpdateFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw } from '../support.js'

describe('PRIORITY_UPDATE (RFC 9218 §7.1)', () => {
  it('round-trips', () => {
    const frame: PriorityUpdateFrame = {
      type: FrameType.PRIORITY_UPDATE,
      flags: 0,
      streamId: 0,
      prioritizedStreamId: 5,
      fieldValue: 'u=1, i',
    }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes.subarray(0, 13))).toEqual([0, 0, 10, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 5])
    expect(decodeOne(bytes)).toEqual(frame)
  })

  it('MUST: PRIORITY_UPDATE on a stream is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.PRIORITY_UPDATE, 0, 1, [0, 0, 0, 1]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'priority-update-not-stream-0',
    })
  })

  it('MUST: a Prioritized Stream ID of 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.PRIORITY_UPDATE, 0, 0, [0x80, 0, 0, 0, 0x75]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'priority-update-stream-0',
    })
  })

  it('§4.2: shorter than the stream id is a connection error FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.PRIORITY_UPDATE, 0, 0, [0, 0, 1]), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'priority-update-too-short',
    })
  })
})
