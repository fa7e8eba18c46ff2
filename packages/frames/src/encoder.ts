/**
 * Encoding frame objects into bytes. `encodeFrame` allocates exactly the frame's size; `encodeFrameInto`
 * writes into a buffer of yours; `encodedLength` tells how much room a frame needs. For DATA on the hot path,
 * `encodeDataFrameHeader` (header.ts) writes only the 9 header octets so the payload is never copied.
 *
 * Encoders check that every field fits its wire width (throwing FrameUsageError) but not the protocol rules a
 * receiver enforces: a test peer can encode DATA on stream 0 or a zero WINDOW_UPDATE on purpose. A frame object
 * with a `payload` field is written raw, whatever its type, so even malformed known frames can be produced.
 */
import { FRAME_HEADER_LENGTH, FrameType } from './constants.js'
import { FrameUsageError } from './errors.js'
import type { Frame, UnknownFrame } from './frame.js'
import { isKnownFrameType } from './frame.js'
import { altSvcPayloadLength, writeAltSvc } from './frames/altsvc.js'
import { writeContinuation } from './frames/continuation.js'
import { dataPayloadLength, writeData } from './frames/data.js'
import { goAwayPayloadLength, writeGoAway } from './frames/goaway.js'
import { headersPayloadLength, writeHeaders } from './frames/headers.js'
import { originPayloadLength, writeOrigin } from './frames/origin.js'
import { writePing } from './frames/ping.js'
import { writePriorityFrame } from './frames/priority.js'
import { priorityUpdatePayloadLength, writePriorityUpdate } from './frames/priority-update.js'
import { pushPromisePayloadLength, writePushPromise } from './frames/push-promise.js'
import { writeRstStream } from './frames/rst-stream.js'
import { settingsPayloadLength, writeSettings } from './frames/settings.js'
import { writeUnknown } from './frames/unknown.js'
import { writeWindowUpdate } from './frames/window-update.js'

function isRaw(frame: Frame): frame is UnknownFrame {
  return !isKnownFrameType(frame.type) || 'payload' in frame
}

/** Payload length of the encoded frame (without the 9-octet header). */
export function payloadLength(frame: Frame): number {
  if (isRaw(frame)) return frame.payload.length
  switch (frame.type) {
    case FrameType.DATA:
      return dataPayloadLength(frame)
    case FrameType.HEADERS:
      return headersPayloadLength(frame)
    case FrameType.PRIORITY:
      return 5
    case FrameType.RST_STREAM:
      return 4
    case FrameType.SETTINGS:
      return settingsPayloadLength(frame)
    case FrameType.PUSH_PROMISE:
      return pushPromisePayloadLength(frame)
    case FrameType.PING:
      return 8
    case FrameType.GOAWAY:
      return goAwayPayloadLength(frame)
    case FrameType.WINDOW_UPDATE:
      return 4
    case FrameType.CONTINUATION:
      return frame.fragment.length
    case FrameType.ALTSVC:
      return altSvcPayloadLength(frame)
    case FrameType.ORIGIN:
      return originPayloadLength(frame)
    case FrameType.PRIORITY_UPDATE:
      return priorityUpdatePayloadLength(frame)
  }
}

/** Octets the encoded frame takes: header plus payload. */
export function encodedLength(frame: Frame): number {
  return FRAME_HEADER_LENGTH + payloadLength(frame)
}

/**
 * Writes the frame at target[offset] and returns the offset after it. Throws FrameUsageError when a field does
 * not fit the wire or the target is too small (nothing is written past its end).
 */
export function encodeFrameInto(frame: Frame, target: Uint8Array, offset: number): number {
  const size = encodedLength(frame)
  if (!(offset >= 0) || offset + size > target.length) {
    throw new FrameUsageError(
      `a ${size}-octet frame does not fit at offset ${offset} of ${target.length} octets`,
    )
  }
  if (isRaw(frame)) return writeUnknown(frame, target, offset)
  switch (frame.type) {
    case FrameType.DATA:
      return writeData(frame, target, offset)
    case FrameType.HEADERS:
      return writeHeaders(frame, target, offset)
    case FrameType.PRIORITY:
      return writePriorityFrame(frame, target, offset)
    case FrameType.RST_STREAM:
      return writeRstStream(frame, target, offset)
    case FrameType.SETTINGS:
      return writeSettings(frame, target, offset)
    case FrameType.PUSH_PROMISE:
      return writePushPromise(frame, target, offset)
    case FrameType.PING:
      return writePing(frame, target, offset)
    case FrameType.GOAWAY:
      return writeGoAway(frame, target, offset)
    case FrameType.WINDOW_UPDATE:
      return writeWindowUpdate(frame, target, offset)
    case FrameType.CONTINUATION:
      return writeContinuation(frame, target, offset)
    case FrameType.ALTSVC:
      return writeAltSvc(frame, target, offset)
    case FrameType.ORIGIN:
      return writeOrigin(frame, target, offset)
    case FrameType.PRIORITY_UPDATE:
      return writePriorityUpdate(frame, target, offset)
  }
}

/** The frame as a new Uint8Array of exactly its encoded length. */
export function encodeFrame(frame: Frame): Uint8Array {
  const out = new Uint8Array(encodedLength(frame))
  encodeFrameInto(frame, out, 0)
  return out
}

/** Several frames back to back in one new Uint8Array (one allocation, e.g. a SETTINGS ACK then a PING ACK). */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  let size = 0
  for (const f of frames) size += encodedLength(f)
  const out = new Uint8Array(size)
  let p = 0
  for (const f of frames) p = encodeFrameInto(f, out, p)
  return out
}
