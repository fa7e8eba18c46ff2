/** PUSH_PROMISE (RFC 9113 §6.6). */
import { FrameType, MAX_STREAM_ID } from '../constants.js'
import { protocolError } from '../errors.js'
import type { PushPromiseFrame } from '../frame.js'
import { checkRange, encodeFrameHeader, readStreamId } from '../header.js'
import { paddedFlags, readPadLength } from '../padding.js'

/**
 * Decodes the payload; `fragment` is a view. Checks what needs no stream state: the frame's own stream is not
 * 0 (§6.6), and the promised stream is not 0 and is even, since only servers push and server-initiated streams
 * are even (§5.1.1; a receiver MUST treat an illegal promised identifier as a PROTOCOL_ERROR, §6.6). Whether
 * it is also new (idle), whether push is enabled, and whether we are the client: the engine's checks.
 */
export function decodePushPromise(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): PushPromiseFrame {
  if (streamId === 0) {
    throw protocolError(
      'push-promise-stream-0',
      FrameType.PUSH_PROMISE,
      flags,
      streamId,
      length,
      'PUSH_PROMISE on stream 0',
    )
  }
  const padLength = readPadLength(
    buf,
    offset,
    length,
    FrameType.PUSH_PROMISE,
    flags,
    streamId,
    4,
    'push-promise-too-short',
  )
  const start = padLength < 0 ? offset : offset + 1
  const promisedStreamId = readStreamId(buf, start)
  if (promisedStreamId === 0 || (promisedStreamId & 1) === 1) {
    throw protocolError(
      'push-promise-bad-promised-id',
      FrameType.PUSH_PROMISE,
      flags,
      streamId,
      length,
      `promised stream ${promisedStreamId} cannot be a server-initiated stream`,
    )
  }
  const fragment = buf.subarray(start + 4, offset + length - Math.max(padLength, 0))
  if (padLength < 0) return { type: FrameType.PUSH_PROMISE, flags, streamId, promisedStreamId, fragment }
  return { type: FrameType.PUSH_PROMISE, flags, streamId, promisedStreamId, fragment, padLength }
}

export function pushPromisePayloadLength(frame: PushPromiseFrame): number {
  return 4 + frame.fragment.length + (frame.padLength === undefined ? 0 : 1 + frame.padLength)
}

export function writePushPromise(frame: PushPromiseFrame, target: Uint8Array, offset: number): number {
  checkRange(frame.promisedStreamId, MAX_STREAM_ID, 'promisedStreamId')
  const flags = paddedFlags(frame.flags, frame.padLength)
  let p = encodeFrameHeader(
    target,
    offset,
    pushPromisePayloadLength(frame),
    FrameType.PUSH_PROMISE,
    flags,
    frame.streamId,
  )
  if (frame.padLength !== undefined) target[p++] = frame.padLength
  const id = frame.promisedStreamId
  target[p] = id >>> 24
  target[p + 1] = id >>> 16
  target[p + 2] = id >>> 8
  target[p + 3] = id
  p += 4
  target.set(frame.fragment, p)
  p += frame.fragment.length
  if (frame.padLength !== undefined) {
    target.fill(0, p, p + frame.padLength)
    p += frame.padLength
  }
  return p
}
