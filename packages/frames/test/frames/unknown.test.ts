import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameType, isKnownFrame, type UnknownFrame } from '../../src/index.js'
import { decodeOne, raw, u8 } from '../support.js'

describe('unknown frame types (RFC 9113 §4.1, §5.5)', () => {
  it('are delivered with type, flags, stream and payload, and round-trip', () => {
    const frame: UnknownFrame = { type: 0xfa, flags: 0xff, streamId: 0x7fffffff, payload: u8(1, 2, 3) }
    const decoded = decodeOne(encodeFrame(frame))
    expect(decoded).toEqual(frame)
    expect(isKnownFrame(decoded)).toBe(false)
  })

  it('are not checked at all (any stream, any flags, any length)', () => {
    expect(decodeOne(raw(0xb, 0xff, 0, []))).toEqual({ type: 0xb, flags: 0xff, streamId: 0, payload: u8() })
  })

  it('a frame object with a payload is written raw whatever its type (to produce malformed frames)', () => {
    const bytes = encodeFrame({ type: FrameType.PING, flags: 0, streamId: 0, payload: u8(1, 2, 3) })
    expect(Array.from(bytes)).toEqual([0, 0, 3, 6, 0, 0, 0, 0, 0, 1, 2, 3])
  })
})
