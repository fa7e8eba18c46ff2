/**
 * ALTSVC (RFC 7838 §4): Origin-Len (16), Origin, Alt-Svc-Field-Value. A non-critical extension: the RFC defines
 * no error for it, only frames the receiver MUST ignore; those come out marked with `ignored`.
 */
import { FrameType } from '../constants.js'
import type { AltSvcFrame } from '../frame.js'
import { checkRange, encodeFrameHeader } from '../header.js'
import { checkLatin1, latin1ToString, writeLatin1 } from '../latin1.js'

export function decodeAltSvc(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): AltSvcFrame {
  const originLength = length >= 2 ? (buf[offset]! << 8) | buf[offset + 1]! : -1
  if (originLength < 0 || originLength > length - 2) {
    return {
      type: FrameType.ALTSVC,
      flags,
      streamId,
      origin: '',
      fieldValue: '',
      ignored: 'altsvc-malformed',
    }
  }
  const frame: AltSvcFrame = {
    type: FrameType.ALTSVC,
    flags,
    streamId,
    origin: latin1ToString(buf, offset + 2, offset + 2 + originLength),
    fieldValue: latin1ToString(buf, offset + 2 + originLength, offset + length),
  }
  // RFC 7838 §4: on stream 0 the origin is required; on any other stream it is forbidden.
  if (streamId === 0 && originLength === 0) frame.ignored = 'altsvc-no-origin'
  else if (streamId !== 0 && originLength !== 0) frame.ignored = 'altsvc-origin-on-stream'
  return frame
}

export function altSvcPayloadLength(frame: AltSvcFrame): number {
  return 2 + frame.origin.length + frame.fieldValue.length
}

export function writeAltSvc(frame: AltSvcFrame, target: Uint8Array, offset: number): number {
  checkLatin1(frame.origin, 'ALTSVC origin')
  checkLatin1(frame.fieldValue, 'ALTSVC field value')
  checkRange(frame.origin.length, 0xffff, 'ALTSVC origin length')
  let p = encodeFrameHeader(
    target,
    offset,
    altSvcPayloadLength(frame),
    FrameType.ALTSVC,
    frame.flags,
    frame.streamId,
  )
  target[p] = frame.origin.length >>> 8
  target[p + 1] = frame.origin.length
  p = writeLatin1(target, p + 2, frame.origin)
  return writeLatin1(target, p, frame.fieldValue)
}
