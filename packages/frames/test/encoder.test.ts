import { describe, expect, it } from 'vitest'
import {
  decodeFrames,
  encodedLength,
  encodeFrame,
  encodeFrameInto,
  encodeFrames,
  type Frame,
  FrameType,
  FrameUsageError,
  SettingId,
  settingError,
} from '../src/index.js'

describe('encoder', () => {
  it('encodeFrameInto writes at an offset and returns the end', () => {
    const frame: Frame = { type: FrameType.RST_STREAM, flags: 0, streamId: 1, errorCode: 8 }
    const out = new Uint8Array(20).fill(0xee)
    expect(encodeFrameInto(frame, out, 3)).toBe(3 + encodedLength(frame))
    expect(Array.from(out.subarray(3, 16))).toEqual(Array.from(encodeFrame(frame)))
    expect(out[16]).toBe(0xee)
    expect(() => encodeFrameInto(frame, out, 8)).toThrow(FrameUsageError)
  })

  it('encodeFrames concatenates', () => {
    const frames: Frame[] = [
      { type: FrameType.SETTINGS, flags: 1, streamId: 0, settings: [] },
      { type: FrameType.PING, flags: 1, streamId: 0, data: new Uint8Array(8) },
    ]
    expect(decodeFrames(encodeFrames(frames))).toEqual(frames)
  })

  it('does not enforce receiver rules, so a test peer can send invalid frames', () => {
    const bytes = encodeFrame({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, increment: 0 })
    expect(Array.from(bytes.subarray(9))).toEqual([0, 0, 0, 0])
  })

  it('settingError gives the code a received value calls for', () => {
    expect(settingError({ id: SettingId.ENABLE_PUSH, value: 1 })).toBeUndefined()
    expect(settingError({ id: 0x99, value: 0xffffffff })).toBeUndefined()
    expect(settingError({ id: SettingId.INITIAL_WINDOW_SIZE, value: 2 ** 31 })?.reason).toBe(
      'settings-initial-window-size-too-large',
    )
  })
})
