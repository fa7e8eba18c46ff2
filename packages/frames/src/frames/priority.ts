/** PRIORITY (RFC 9113 §6.3), deprecated by RFC 9113 §5.3.2 but still parsed. */
import { FrameType } from '../constants.js'
import { frameSizeError, protocolError } from '../errors.js'
import type { PriorityFrame } from '../frame.js'
import { encodeFrameHeader } from '../header.js'
import { checkPriority, readPriority, writePriority } from '../priority-fields.js'

/**
 * Decodes the payload. Throws FrameError; a wrong length is a *stream* error (§6.3), the one size error of
 * RFC 9113 that does not end the connection.
 */
export function decodePriority(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): PriorityFrame {
  // §6.3: a PRIORITY frame always identifies a stream.
  if (streamId === 0) {
    throw protocolError(
      'priority-stream-0',
      FrameType.PRIORITY,
      flags,
      streamId,
      length,
      'PRIORITY on stream 0',
    )
  }
  // §6.3: a length other than 5 octets is a stream error of type FRAME_SIZE_ERROR.
  if (length !== 5) {
    throw frameSizeError(
      'priority-bad-length',
      FrameType.PRIORITY,
      flags,
      streamId,
      length,
      `length ${length}, must be 5`,
      'stream',
    )
  }
  return { type: FrameType.PRIORITY, flags, streamId, priority: readPriority(buf, offset) }
}

export function writePriorityFrame(frame: PriorityFrame, target: Uint8Array, offset: number): number {
  checkPriority(frame.priority)
  const p = encodeFrameHeader(target, offset, 5, FrameType.PRIORITY, frame.flags, frame.streamId)
  return writePriority(target, p, frame.priority)
}
