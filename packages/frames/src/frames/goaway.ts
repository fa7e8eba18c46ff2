/** GOAWAY (RFC 9113 §6.8). */
import { FrameType, MAX_STREAM_ID } from '../constants.js'
import { frameSizeError, protocolError } from '../errors.js'
import type { GoAwayFrame } from '../frame.js'
import { checkRange, encodeFrameHeader, readStreamId, readUint32, writeUint32 } from '../header.js'

export function decodeGoAway(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): GoAwayFrame {
  // §6.8: GOAWAY applies to the connection.
  if (streamId !== 0) {
    throw protocolError(
      'goaway-not-stream-0',
      FrameType.GOAWAY,
      flags,
      streamId,
      length,
      'GOAWAY on a stream',
    )
  }
  // §4.2: too small to hold Last-Stream-ID and Error Code; on stream 0, so a connection error.
  if (length < 8) {
    throw frameSizeError(
      'goaway-too-short',
      FrameType.GOAWAY,
      flags,
      streamId,
      length,
      `length ${length}, needs 8`,
    )
  }
  return {
    type: FrameType.GOAWAY,
    flags,
    streamId,
    lastStreamId: readStreamId(buf, offset),
    errorCode: readUint32(buf, offset + 4),
    debugData: buf.subarray(offset + 8, offset + length),
  }
}

export function goAwayPayloadLength(frame: GoAwayFrame): number {
  return 8 + frame.debugData.length
}

export function writeGoAway(frame: GoAwayFrame, target: Uint8Array, offset: number): number {
  checkRange(frame.lastStreamId, MAX_STREAM_ID, 'lastStreamId')
  checkRange(frame.errorCode, 0xffff_ffff, 'errorCode')
  const p = encodeFrameHeader(
    target,
    offset,
    goAwayPayloadLength(frame),
    FrameType.GOAWAY,
    frame.flags,
    frame.streamId,
  )
  writeUint32(target, p, frame.lastStreamId)
  writeUint32(target, p + 4, frame.errorCode)
  target.set(frame.debugData, p + 8)
  return p + 8 + frame.debugData.length
}
