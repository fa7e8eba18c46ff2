/** RST_STREAM (RFC 9113 §6.4). */
import { FrameType } from '../constants.js'
import { frameSizeError, protocolError } from '../errors.js'
import type { RstStreamFrame } from '../frame.js'
import { checkRange, encodeFrameHeader, readUint32, writeUint32 } from '../header.js'

export function decodeRstStream(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): RstStreamFrame {
  // §6.4: RST_STREAM frames MUST be associated with a stream.
  if (streamId === 0) {
    throw protocolError(
      'rst-stream-stream-0',
      FrameType.RST_STREAM,
      flags,
      streamId,
      length,
      'RST_STREAM on stream 0',
    )
  }
  // §6.4: a length other than 4 octets is a connection error of type FRAME_SIZE_ERROR.
  if (length !== 4) {
    throw frameSizeError(
      'rst-stream-bad-length',
      FrameType.RST_STREAM,
      flags,
      streamId,
      length,
      `length ${length}, must be 4`,
    )
  }
  return { type: FrameType.RST_STREAM, flags, streamId, errorCode: readUint32(buf, offset) }
}

export function writeRstStream(frame: RstStreamFrame, target: Uint8Array, offset: number): number {
  checkRange(frame.errorCode, 0xffff_ffff, 'errorCode')
  const p = encodeFrameHeader(target, offset, 4, FrameType.RST_STREAM, frame.flags, frame.streamId)
  writeUint32(target, p, frame.errorCode)
  return p + 4
}
