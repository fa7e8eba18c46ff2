/** PING (RFC 9113 §6.7). */
import { FrameType } from '../constants.js'
import { FrameUsageError, frameSizeError, protocolError } from '../errors.js'
import type { PingFrame } from '../frame.js'
import { encodeFrameHeader } from '../header.js'

export function decodePing(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): PingFrame {
  // §6.7: PING belongs to the connection.
  if (streamId !== 0) {
    throw protocolError('ping-not-stream-0', FrameType.PING, flags, streamId, length, 'PING on a stream')
  }
  // §6.7: a length other than 8 is a connection error of type FRAME_SIZE_ERROR.
  if (length !== 8) {
    throw frameSizeError(
      'ping-bad-length',
      FrameType.PING,
      flags,
      streamId,
      length,
      `length ${length}, must be 8`,
    )
  }
  return { type: FrameType.PING, flags, streamId, data: buf.subarray(offset, offset + 8) }
}

export function writePing(frame: PingFrame, target: Uint8Array, offset: number): number {
  if (frame.data.length !== 8)
    throw new FrameUsageError(`PING data must be 8 octets, got ${frame.data.length}`)
  const p = encodeFrameHeader(target, offset, 8, FrameType.PING, frame.flags, frame.streamId)
  target.set(frame.data, p)
  return p + 8
}
