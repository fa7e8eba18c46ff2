import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, FrameType, isFrameError, type PriorityFrame } from '../../src/index.js'
import { concat, decodeItems, decodeOne, expectDecodeError, raw } from '../support.js'

describe('PRIORITY (RFC 9113 §6.3)', () => {
  it('round-trips', () => {
    const frame: PriorityFrame = {
      type: FrameType.PRIORITY,
      flags: 0,
      streamId: 9,
      priority: { dependency: 11, exclusive: false, weight: 8 },
    }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes)).toEqual([0, 0, 5, 2, 0, 0, 0, 0, 9, 0, 0, 0, 11, 7])
    expect(decodeOne(bytes)).toEqual(frame)
  })

  it('MUST: PRIORITY on stream 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.PRIORITY, 0, 0, [0, 0, 0, 1, 15]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'priority-stream-0',
    })
  })

  it('MUST: a length other than 5 is a STREAM error FRAME_SIZE_ERROR, and decoding goes on', () => {
    for (const payload of [
      [0, 0, 0, 1],
      [0, 0, 0, 1, 15, 0],
    ]) {
      expectDecodeError(raw(FrameType.PRIORITY, 0, 7, payload), {
        code: ErrorCode.FRAME_SIZE_ERROR,
        scope: 'stream',
        reason: 'priority-bad-length',
        streamId: 7,
      })
    }
    const items = decodeItems(
      concat(raw(FrameType.PRIORITY, 0, 7, [1, 2, 3]), raw(FrameType.PING, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8])),
    )
    expect(items).toHaveLength(2)
    expect(isFrameError(items[0])).toBe(true)
    expect(items[1]).toMatchObject({ type: FrameType.PING })
  })
})
