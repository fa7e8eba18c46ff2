import { describe, expect, it } from 'vitest'
import {
  ErrorCode,
  FrameError,
  FrameSizeError,
  FrameUsageError,
  isFrameError,
  isFrameUsageError,
  isPrefaceError,
  PrefaceError,
} from '../src/index.js'

describe('errors', () => {
  it('are recognised by their brand, also across copies of the package', () => {
    const e = new FrameSizeError(
      'stream',
      'priority-bad-length',
      3,
      { frameType: 2, flags: 0, length: 4 },
      'x',
    )
    expect(isFrameError(e)).toBe(true)
    expect(e).toBeInstanceOf(FrameError)
    expect(e.code).toBe(ErrorCode.FRAME_SIZE_ERROR)
    // An object from "another copy": same Symbol.for brand, different prototype.
    const foreign = Object.assign(Object.create(null), { [Symbol.for('h2ts.FrameError')]: true })
    expect(isFrameError(foreign)).toBe(true)
    expect(isFrameError(new Error('x'))).toBe(false)
    expect(isFrameError(null)).toBe(false)
    expect(isFrameError('FrameError')).toBe(false)
  })

  it('PrefaceError is a FrameError; FrameUsageError is not', () => {
    const p = new PrefaceError('tls', new Uint8Array([0x16]))
    expect(isFrameError(p) && isPrefaceError(p)).toBe(true)
    expect(
      isPrefaceError(
        new FrameError(1, 'connection', 'data-stream-0', 0, { frameType: 0, flags: 0, length: 0 }, ''),
      ),
    ).toBe(false)
    const u = new FrameUsageError('bad')
    expect(isFrameUsageError(u) && !isFrameError(u)).toBe(true)
  })

  it('say the code name, scope, reason and frame in the message', () => {
    const e = new FrameError(
      ErrorCode.PROTOCOL_ERROR,
      'connection',
      'data-stream-0',
      0,
      { frameType: 0, flags: 0, length: 1 },
      'DATA on stream 0',
    )
    expect(e.message).toBe(
      'PROTOCOL_ERROR (connection error, data-stream-0): DATA on stream 0 [DATA frame on stream 0]',
    )
  })
})
