/**
 * Padding shared by DATA, HEADERS and PUSH_PROMISE (RFC 9113 §6.1, §6.2, §6.6): with the PADDED flag, the
 * payload starts with a Pad Length octet and ends with that many padding octets.
 */
import { Flags } from './constants.js'
import { frameSizeError, protocolError } from './errors.js'
import { checkRange } from './header.js'

/**
 * Checks the padding of a frame whose payload is buf[offset..offset+length) and whose other fixed fields
 * (priority, promised stream id) take `fixed` octets. Returns the Pad Length, or -1 without PADDED.
 *
 * A payload too short for the Pad Length octet and the fixed fields is a FRAME_SIZE_ERROR (§4.2: "too small to
 * contain mandatory frame data"); padding that reaches past what is left is a PROTOCOL_ERROR (§6.1: padding as
 * long as the payload or longer). Both are connection errors: DATA counts toward the connection flow-control
 * window and the other two carry field blocks (§4.2).
 */
export function readPadLength(
  buf: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
  fixed: number,
  tooShort: 'data-too-short' | 'headers-too-short' | 'push-promise-too-short',
): number {
  if ((flags & Flags.PADDED) === 0) {
    if (length < fixed) {
      throw frameSizeError(
        tooShort,
        type,
        flags,
        streamId,
        length,
        `payload of ${length} octets, needs ${fixed}`,
      )
    }
    return -1
  }
  if (length < 1 + fixed) {
    throw frameSizeError(
      tooShort,
      type,
      flags,
      streamId,
      length,
      `payload of ${length} octets, needs ${1 + fixed}`,
    )
  }
  const padLength = buf[offset]!
  if (padLength > length - 1 - fixed) {
    throw protocolError(
      'pad-too-long',
      type,
      flags,
      streamId,
      length,
      `Pad Length ${padLength} leaves no room in a payload of ${length} octets`,
    )
  }
  return padLength
}

/** Flags with PADDED set iff `padLength` is given; checks the value fits its octet. */
export function paddedFlags(flags: number, padLength: number | undefined): number {
  if (padLength === undefined) return flags & ~Flags.PADDED
  checkRange(padLength, 0xff, 'padLength')
  return flags | Flags.PADDED
}
