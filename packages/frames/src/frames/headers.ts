/** HEADERS (RFC 9113 §6.2). */
import { Flags, FrameType } from '../constants.js'
import { protocolError } from '../errors.js'
import type { HeadersFrame } from '../frame.js'
import { encodeFrameHeader } from '../header.js'
import { paddedFlags, readPadLength } from '../padding.js'
import { checkPriority, readPriority, writePriority } from '../priority-fields.js'

/** Decodes the payload buf[offset..offset+length); `fragment` is a view. Throws FrameError. */
export function decodeHeaders(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): HeadersFrame {
  // §6.2: HEADERS frames MUST be associated with a stream.
  if (streamId === 0) {
    throw protocolError('headers-stream-0', FrameType.HEADERS, flags, streamId, length, 'HEADERS on stream 0')
  }
  if ((flags & (Flags.PADDED | Flags.PRIORITY)) === 0) {
    return { type: FrameType.HEADERS, flags, streamId, fragment: buf.subarray(offset, offset + length) }
  }
  const hasPriority = (flags & Flags.PRIORITY) !== 0
  const padLength = readPadLength(
    buf,
    offset,
    length,
    FrameType.HEADERS,
    flags,
    streamId,
    hasPriority ? 5 : 0,
    'headers-too-short',
  )
  let start = offset
  const end = offset + length - Math.max(padLength, 0)
  const frame: HeadersFrame = { type: FrameType.HEADERS, flags, streamId, fragment: buf }
  if (padLength >= 0) {
    frame.padLength = padLength
    start++
  }
  if (hasPriority) {
    frame.priority = readPriority(buf, start)
    start += 5
  }
  frame.fragment = buf.subarray(start, end)
  return frame
}

export function headersPayloadLength(frame: HeadersFrame): number {
  let n = frame.fragment.length
  if (frame.padLength !== undefined) n += 1 + frame.padLength
  if (frame.priority !== undefined) n += 5
  return n
}

/** Writes the whole frame; PADDED and PRIORITY follow `padLength` and `priority`. Padding octets are zero. */
export function writeHeaders(frame: HeadersFrame, target: Uint8Array, offset: number): number {
  let flags = paddedFlags(frame.flags, frame.padLength)
  if (frame.priority !== undefined) {
    checkPriority(frame.priority)
    flags |= Flags.PRIORITY
  } else {
    flags &= ~Flags.PRIORITY
  }
  let p = encodeFrameHeader(
    target,
    offset,
    headersPayloadLength(frame),
    FrameType.HEADERS,
    flags,
    frame.streamId,
  )
  if (frame.padLength !== undefined) target[p++] = frame.padLength
  if (frame.priority !== undefined) p = writePriority(target, p, frame.priority)
  target.set(frame.fragment, p)
  p += frame.fragment.length
  if (frame.padLength !== undefined) {
    target.fill(0, p, p + frame.padLength)
    p += frame.padLength
  }
  return p
}
