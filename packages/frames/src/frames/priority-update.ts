/** PRIORITY_UPDATE (RFC 9218 §7.1): Reserved (1), Prioritized Stream ID (31), Priority Field Value. */
import { FrameType, MAX_STREAM_ID } from '../constants.js'
import { frameSizeError, protocolError } from '../errors.js'
import type { PriorityUpdateFrame } from '../frame.js'
import { checkRange, encodeFrameHeader, readStreamId, writeUint32 } from '../header.js'
import { checkLatin1, latin1ToString, writeLatin1 } from '../latin1.js'

/**
 * Decodes the payload. Connection errors: not on stream 0, or a Prioritized Stream ID of 0 (RFC 9218 §7.1);
 * too short for the stream id (RFC 9113 §4.2, stream 0). A client receiving it at all is the engine's rule,
 * as is parsing the field value (a Structured Fields dictionary).
 */
export function decodePriorityUpdate(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): PriorityUpdateFrame {
  const t = FrameType.PRIORITY_UPDATE
  if (streamId !== 0) {
    throw protocolError(
      'priority-update-not-stream-0',
      t,
      flags,
      streamId,
      length,
      'PRIORITY_UPDATE on a stream',
    )
  }
  if (length < 4) {
    throw frameSizeError('priority-update-too-short', t, flags, streamId, length, `length ${length}, needs 4`)
  }
  const prioritizedStreamId = readStreamId(buf, offset)
  if (prioritizedStreamId === 0) {
    throw protocolError('priority-update-stream-0', t, flags, streamId, length, 'Prioritized Stream ID is 0')
  }
  return {
    type: t,
    flags,
    streamId,
    prioritizedStreamId,
    fieldValue: latin1ToString(buf, offset + 4, offset + length),
  }
}

export function priorityUpdatePayloadLength(frame: PriorityUpdateFrame): number {
  return 4 + frame.fieldValue.length
}

export function writePriorityUpdate(frame: PriorityUpdateFrame, target: Uint8Array, offset: number): number {
  checkRange(frame.prioritizedStreamId, MAX_STREAM_ID, 'prioritizedStreamId')
  checkLatin1(frame.fieldValue, 'PRIORITY_UPDATE field value')
  const length = priorityUpdatePayloadLength(frame)
  const p = encodeFrameHeader(target, offset, length, FrameType.PRIORITY_UPDATE, frame.flags, frame.streamId)
  writeUint32(target, p, frame.prioritizedStreamId)
  return writeLatin1(target, p + 4, frame.fieldValue)
}
