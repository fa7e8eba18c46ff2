import { describe, expect, it } from 'vitest'
import { type AltSvcFrame, encodeFrame, FrameType, FrameUsageError } from '../../src/index.js'
import { decodeOne, raw } from '../support.js'

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0))

describe('ALTSVC (RFC 7838 §4)', () => {
  it('round-trips on stream 0 with an origin and on a stream without one', () => {
    const frames: AltSvcFrame[] = [
      {
        type: FrameType.ALTSVC,
        flags: 0,
        streamId: 0,
        origin: 'https://example.com',
        fieldValue: 'h2=":8443"',
      },
      { type: FrameType.ALTSVC, flags: 0, streamId: 3, origin: '', fieldValue: 'clear' },
    ]
    for (const frame of frames) expect(decodeOne(encodeFrame(frame))).toEqual(frame)
    expect(Array.from(encodeFrame(frames[1]!))).toEqual([
      0,
      0,
      7,
      0xa,
      0,
      0,
      0,
      0,
      3,
      0,
      0,
      ...ascii('clear'),
    ])
  })

  it('MUST ignore: an empty origin on stream 0 is marked, not an error', () => {
    expect(decodeOne(raw(FrameType.ALTSVC, 0, 0, [0, 0, ...ascii('clear')]))).toMatchObject({
      ignored: 'altsvc-no-origin',
    })
  })

  it('MUST ignore: an origin on a stream other than 0 is marked, not an error', () => {
    expect(decodeOne(raw(FrameType.ALTSVC, 0, 1, [0, 1, 0x61]))).toMatchObject({
      origin: 'a',
      ignored: 'altsvc-origin-on-stream',
    })
  })

  it('marks a frame whose Origin-Len runs past the payload as malformed', () => {
    expect(decodeOne(raw(FrameType.ALTSVC, 0, 0, [0, 9, 0x61]))).toMatchObject({
      ignored: 'altsvc-malformed',
    })
    expect(decodeOne(raw(FrameType.ALTSVC, 0, 0, [0]))).toMatchObject({ ignored: 'altsvc-malformed' })
  })

  it('keeps every octet through a round trip (Latin-1) and refuses characters above U+00FF', () => {
    const frame = decodeOne(raw(FrameType.ALTSVC, 0, 0, [0, 1, 0xe9, 0xff, 0x80])) as AltSvcFrame
    expect(frame.origin).toBe('\u00e9')
    expect(Array.from(encodeFrame(frame).subarray(9))).toEqual([0, 1, 0xe9, 0xff, 0x80])
    expect(() => encodeFrame({ ...frame, origin: '\u20ac' })).toThrow(FrameUsageError)
  })
})
