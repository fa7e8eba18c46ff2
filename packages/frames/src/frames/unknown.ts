/** Frames of types the codec does not parse (RFC 9113 §4.1: the receiver ignores and discards them). */
import type { UnknownFrame } from '../frame.js'
import { encodeFrameHeader } from '../header.js'

/** `payload` is a view of the frame's payload. Flags and stream are kept as read; nothing is checked. */
export function decodeUnknown(
  buf: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): UnknownFrame {
  return { type, flags, streamId, payload: buf.subarray(offset, offset + length) }
}

/** Writes `payload` after a header with the frame's type: how an extension of the layer above sends frames. */
export function writeUnknown(frame: UnknownFrame, target: Uint8Array, offset: number): number {
  const p = encodeFrameHeader(target, offset, frame.payload.length, frame.type, frame.flags, frame.streamId)
  target.set(frame.payload, p)
  return p + frame.payload.length
}
