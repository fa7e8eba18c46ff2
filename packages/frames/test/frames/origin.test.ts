import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameType, type OriginFrame } from '../../src/index.js'
import { decodeOne, raw } from '../support.js'

describe('ORIGIN (RFC 8336 §2)', () => {
  it('round-trips a list of origins, and an empty one', () => {
    for (const origins of [['https://a.example', 'https://b.example:8443'], []]) {
      const frame: OriginFrame = { type: FrameType.ORIGIN, flags: 0, streamId: 0, origins }
      expect(decodeOne(encodeFrame(frame))).toEqual(frame)
    }
    const bytes = encodeFrame({ type: FrameType.ORIGIN, flags: 0, streamId: 0, origins: ['ab'] })
    expect(Array.from(bytes)).toEqual([0, 0, 4, 0xc, 0, 0, 0, 0, 0, 0, 2, 0x61, 0x62])
  })

  it('MUST ignore: ORIGIN on a stream other than 0 is marked, not an error', () => {
    expect(decodeOne(raw(FrameType.ORIGIN, 0, 1, [0, 1, 0x61]))).toMatchObject({
      ignored: 'origin-not-stream-0',
    })
  })

  it('MUST ignore (clients): flags 0x1-0x8 are reserved for incompatible changes', () => {
    expect(decodeOne(raw(FrameType.ORIGIN, 0x2, 0, []))).toMatchObject({ ignored: 'origin-reserved-flags' })
    expect(decodeOne(raw(FrameType.ORIGIN, 0x10, 0, []))).not.toHaveProperty('ignored')
  })

  it('marks a truncated entry as malformed and keeps the entries before it', () => {
    expect(decodeOne(raw(FrameType.ORIGIN, 0, 0, [0, 1, 0x61, 0, 5, 0x62]))).toMatchObject({
      origins: ['a'],
      ignored: 'origin-malformed',
    })
    expect(decodeOne(raw(FrameType.ORIGIN, 0, 0, [0]))).toMatchObject({
      origins: [],
      ignored: 'origin-malformed',
    })
  })
})
