/**
 * The 9-octet frame header (RFC 9113 §4.1):
 *
 *   Length (24) | Type (8) | Flags (8) | Reserved (1) | Stream Identifier (31)
 */
import { FRAME_HEADER_LENGTH, FrameType, MAX_FRAME_SIZE_LIMIT, MAX_STREAM_ID } from './constants.js'
import { FrameUsageError } from './errors.js'

/** The fields of a frame header. */
export interface FrameHeader {
  length: number
  type: number
  flags: number
  streamId: number
}

/**
 * Reads the frame header at `buf[offset..offset+9)`. The reserved bit is dropped (RFC 9113 §4.1: ignored when
 * receiving). The caller makes sure 9 bytes are there.
 */
export function decodeFrameHeader(buf: Uint8Array, offset: number): FrameHeader {
  return {
    length: (buf[offset]! << 16) | (buf[offset + 1]! << 8) | buf[offset + 2]!,
    type: buf[offset + 3]!,
    flags: buf[offset + 4]!,
    streamId: readStreamId(buf, offset + 5),
  }
}

/** A 31-bit identifier at `buf[offset]`, reserved bit dropped. */
export function readStreamId(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! & 0x7f) << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!
}

/** An unsigned 32-bit integer at `buf[offset]`. */
export function readUint32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0
}

/** Writes an unsigned 32-bit integer at `buf[offset]`. */
export function writeUint32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24
  buf[offset + 1] = value >>> 16
  buf[offset + 2] = value >>> 8
  buf[offset + 3] = value
}

/** Throws unless `value` is an integer in 0..max (max at most 2^32 - 1). */
export function checkRange(value: number, max: number, what: string): void {
  // `value >>> 0 === value` holds only for integers in 0..2^32-1 (not NaN, fractions or negatives); cheaper
  // than a modulo, and this runs four times per frame header.
  if (!(value >>> 0 === value && value <= max)) {
    throw new FrameUsageError(`${what} must be an integer in 0..${max}, got ${value}`)
  }
}

/**
 * Writes a frame header at `target[offset]` and returns the offset after it (offset + 9). The reserved bit is
 * written as zero (RFC 9113 §4.1). The payload is the caller's to write (or to send as a separate buffer).
 * Throws FrameUsageError when a field does not fit its wire width.
 */
export function encodeFrameHeader(
  target: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): number {
  checkRange(length, MAX_FRAME_SIZE_LIMIT, 'frame length')
  checkRange(type, 0xff, 'frame type')
  checkRange(flags, 0xff, 'frame flags')
  checkRange(streamId, MAX_STREAM_ID, 'stream id')
  if (offset + FRAME_HEADER_LENGTH > target.length || !(offset >= 0)) {
    throw new FrameUsageError(
      `no room for a frame header at offset ${offset} of a ${target.length}-byte buffer`,
    )
  }
  target[offset] = length >>> 16
  target[offset + 1] = length >>> 8
  target[offset + 2] = length
  target[offset + 3] = type
  target[offset + 4] = flags
  target[offset + 5] = streamId >>> 24
  target[offset + 6] = streamId >>> 16
  target[offset + 7] = streamId >>> 8
  target[offset + 8] = streamId
  return offset + FRAME_HEADER_LENGTH
}

/**
 * Writes the header of an unpadded DATA frame carrying `dataLength` bytes, so the data itself can be handed to
 * the transport by reference (header buffer, then the caller's data buffer). Returns offset + 9.
 */
export function encodeDataFrameHeader(
  target: Uint8Array,
  offset: number,
  streamId: number,
  dataLength: number,
  endStream: boolean,
): number {
  if (streamId === 0) throw new FrameUsageError('DATA frames need a stream (RFC 9113 §6.1)')
  return encodeFrameHeader(target, offset, dataLength, FrameType.DATA, endStream ? 0x1 : 0, streamId)
}
