/**
 * ORIGIN (RFC 8336 §2): zero or more Origin-Entry (Origin-Len (16), ASCII-Origin). A non-critical extension:
 * frames the RFC says to ignore come out marked with `ignored` instead of raising errors.
 */
import { FrameType } from '../constants.js'
import type { OriginFrame } from '../frame.js'
import { checkRange, encodeFrameHeader } from '../header.js'
import { checkLatin1, latin1ToString, writeLatin1 } from '../latin1.js'

export function decodeOrigin(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): OriginFrame {
  const origins: string[] = []
  const frame: OriginFrame = { type: FrameType.ORIGIN, flags, streamId, origins }
  const end = offset + length
  let p = offset
  while (p < end) {
    if (end - p < 2) {
      frame.ignored = 'origin-malformed'
      return frame
    }
    const n = (buf[p]! << 8) | buf[p + 1]!
    if (n > end - p - 2) {
      frame.ignored = 'origin-malformed'
      return frame
    }
    origins.push(latin1ToString(buf, p + 2, p + 2 + n))
    p += 2 + n
  }
  // RFC 8336 §2.1: only on stream 0; flags 0x1-0x8 are reserved for changes a receiver cannot understand.
  if (streamId !== 0) frame.ignored = 'origin-not-stream-0'
  else if ((flags & 0xf) !== 0) frame.ignored = 'origin-reserved-flags'
  return frame
}

export function originPayloadLength(frame: OriginFrame): number {
  let n = 0
  for (const o of frame.origins) n += 2 + o.length
  return n
}

export function writeOrigin(frame: OriginFrame, target: Uint8Array, offset: number): number {
  for (const o of frame.origins) {
    checkLatin1(o, 'ORIGIN entry')
    checkRange(o.length, 0xffff, 'ORIGIN entry length')
  }
  let p = encodeFrameHeader(
    target,
    offset,
    originPayloadLength(frame),
    FrameType.ORIGIN,
    frame.flags,
    frame.streamId,
  )
  for (const o of frame.origins) {
    target[p] = o.length >>> 8
    target[p + 1] = o.length
    p = writeLatin1(target, p + 2, o)
  }
  return p
}
