/** WINDOW_UPDATE (RFC 9113 §6.9). */
import { FrameType, MAX_WINDOW_SIZE } from '../constants.js'
import { frameSizeError, protocolError } from '../errors.js'
import type { WindowUpdateFrame } from '../frame.js'
import { checkRange, encodeFrameHeader, readStreamId, writeUint32 } from '../header.js'

/**
 * Decodes the payload. An increment of 0 is a stream error on a stream and a connection error on stream 0
 * (§6.9: "errors on the connection flow-control window MUST be treated as a connection error").
 */
export function decodeWindowUpdate(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): WindowUpdateFrame {
  // §6.9: a length other than 4 octets is a connection error of type FRAME_SIZE_ERROR.
  if (length !== 4) {
    throw frameSizeError(
      'window-update-bad-length',
      FrameType.WINDOW_UPDATE,
      flags,
      streamId,
      length,
      `length ${length}, must be 4`,
    )
  }
  // The reserved bit is ignored (§6.9).
  const increment = readStreamId(buf, offset)
  if (increment === 0) {
    throw protocolError(
      'window-update-zero-increment',
      FrameType.WINDOW_UPDATE,
      flags,
      streamId,
      length,
      'flow-control window increment of 0',
      streamId === 0 ? 'connection' : 'stream',
    )
  }
  return { type: FrameType.WINDOW_UPDATE, flags, streamId, increment }
}

/** Writes the frame; any 31-bit increment is accepted, 0 included (a test peer may need to send one). */
export function writeWindowUpdate(frame: WindowUpdateFrame, target: Uint8Array, offset: number): number {
  checkRange(frame.increment, MAX_WINDOW_SIZE, 'increment')
  const p = encodeFrameHeader(target, offset, 4, FrameType.WINDOW_UPDATE, frame.flags, frame.streamId)
  writeUint32(target, p, frame.increment)
  return p + 4
}
