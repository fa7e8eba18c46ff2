/** CONTINUATION (RFC 9113 §6.10). Sequencing after HEADERS / PUSH_PROMISE is the engine's rule (it needs state). */
import { FrameType } from '../constants.js'
import { protocolError } from '../errors.js'
import type { ContinuationFrame } from '../frame.js'
import { encodeFrameHeader } from '../header.js'

export function decodeContinuation(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): ContinuationFrame {
  // §6.10: CONTINUATION frames MUST be associated with a stream.
  if (streamId === 0) {
    throw protocolError(
      'continuation-stream-0',
      FrameType.CONTINUATION,
      flags,
      streamId,
      length,
      'CONTINUATION on stream 0',
    )
  }
  return { type: FrameType.CONTINUATION, flags, streamId, fragment: buf.subarray(offset, offset + length) }
}

export function writeContinuation(frame: ContinuationFrame, target: Uint8Array, offset: number): number {
  const p = encodeFrameHeader(
    target,
    offset,
    frame.fragment.length,
    FrameType.CONTINUATION,
    frame.flags,
    frame.streamId,
  )
  target.set(frame.fragment, p)
  return p + frame.fragment.length
}
