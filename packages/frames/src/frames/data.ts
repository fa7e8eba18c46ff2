/** DATA (RFC 9113 §6.1). */
import { Flags, FrameType } from '../constants.js'
import { protocolError } from '../errors.js'
import type { DataFrame } from '../frame.js'
import { encodeFrameHeader } from '../header.js'
import { paddedFlags, readPadLength } from '../padding.js'

/** Decodes the payload buf[offset..offset+length); `data` is a view. Throws FrameError. */
export function decodeData(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): DataFrame {
  // §6.1: DATA frames MUST be associated with a stream.
  if (streamId === 0) {
    throw protocolError('data-stream-0', FrameType.DATA, flags, streamId, length, 'DATA on stream 0')
  }
  if ((flags & Flags.PADDED) === 0) {
    return { type: FrameType.DATA, flags, streamId, data: buf.subarray(offset, offset + length) }
  }
  const padLength = readPadLength(buf, offset, length, FrameType.DATA, flags, streamId, 0, 'data-too-short')
  return {
    type: FrameType.DATA,
    flags,
    streamId,
    data: buf.subarray(offset + 1, offset + length - padLength),
    padLength,
  }
}

export function dataPayloadLength(frame: DataFrame): number {
  return frame.padLength === undefined ? frame.data.length : 1 + frame.data.length + frame.padLength
}

/** Writes the whole frame at target[offset]; returns the offset after it. Padding octets are zero (§6.1). */
export function writeData(frame: DataFrame, target: Uint8Array, offset: number): number {
  const flags = paddedFlags(frame.flags, frame.padLength)
  let p = encodeFrameHeader(target, offset, dataPayloadLength(frame), FrameType.DATA, flags, frame.streamId)
  if (frame.padLength !== undefined) target[p++] = frame.padLength
  target.set(frame.data, p)
  p += frame.data.length
  if (frame.padLength !== undefined) {
    target.fill(0, p, p + frame.padLength)
    p += frame.padLength
  }
  return p
}
