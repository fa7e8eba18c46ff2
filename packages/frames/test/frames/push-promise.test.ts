import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, Flags, FrameType, type PushPromiseFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw, u8 } from '../support.js'

describe('PUSH_PROMISE (RFC 9113 §6.6)', () => {
  it('round-trips, with and without padding', () => {
    const frame: PushPromiseFrame = {
      type: FrameType.PUSH_PROMISE,
      flags: Flags.END_HEADERS,
      streamId: 1,
      promisedStreamId: 2,
      fragment: u8(0x82, 0x87),
    }
    const bytes = encodeFrame(frame)
    expect(Array.from(bytes)).toEqual([0, 0, 6, 5, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0x82, 0x87])
    expect(decodeOne(bytes)).toEqual(frame)
    const padded: PushPromiseFrame = { ...frame, flags: Flags.END_HEADERS | Flags.PADDED, padLength: 4 }
    expect(decodeOne(encodeFrame(padded))).toEqual(padded)
  })

  it('ignores the reserved bit of the promised stream id', () => {
    expect(decodeOne(raw(FrameType.PUSH_PROMISE, 0, 1, [0x80, 0, 0, 2]))).toMatchObject({
      promisedStreamId: 2,
    })
  })

  it('MUST: PUSH_PROMISE on stream 0 is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.PUSH_PROMISE, 0, 0, [0, 0, 0, 2]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'push-promise-stream-0',
    })
  })

  it('MUST: promising stream 0 or an odd (client) stream is a connection error PROTOCOL_ERROR', () => {
    for (const id of [0, 3]) {
      expectDecodeError(raw(FrameType.PUSH_PROMISE, 0, 1, [0, 0, 0, id]), {
        code: ErrorCode.PROTOCOL_ERROR,
        scope: 'connection',
        reason: 'push-promise-bad-promised-id',
      })
    }
  })

  it('MUST: padding as long as the payload or longer is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.PUSH_PROMISE, Flags.PADDED, 1, [1, 0, 0, 0, 2]), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'pad-too-long',
    })
  })

  it('§4.2: too short for the promised stream id is a connection FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.PUSH_PROMISE, 0, 1, [0, 0, 2]), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'push-promise-too-short',
    })
  })
})
