/**
 * Integer representation with an N-bit prefix, RFC 7541 §5.1.
 *
 * Values are limited to 2^32-1: nothing in HPACK needs more (indexes, lengths and table sizes all fit), and a
 * limit keeps a decoder from reading an endless run of continuation bytes.
 */
import { HpackError } from './errors.js'

export const MAX_INTEGER = 0xffffffff
/** 2^32-1 needs 5 continuation bytes after a full prefix; a sixth can only overflow (or be padding). */
const MAX_CONTINUATION_BYTES = 5

/** Number of bytes `value` takes with an N-bit prefix. */
export function integerLength(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1
  if (value < max) return 1
  let n = 2
  for (value -= max; value >= 0x80; value = Math.floor(value / 0x80)) n++
  return n
}

/**
 * Writes `value` at out[pos] with an N-bit prefix, OR-ing `pattern` (the representation's leading bits)
 * into the first byte. Returns the position after the integer. The caller guarantees room (at most 6 bytes).
 */
export function encodeInteger(
  out: Uint8Array,
  pos: number,
  value: number,
  prefixBits: number,
  pattern: number,
): number {
  const max = (1 << prefixBits) - 1
  if (value < max) {
    out[pos++] = pattern | value
    return pos
  }
  out[pos++] = pattern | max
  value -= max
  while (value >= 0x80) {
    out[pos++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  out[pos++] = value
  return pos
}

/**
 * Reads the continuation of an integer whose prefix was full (equal to 2^N-1). `value` is that prefix value,
 * `pos` the first continuation byte. Returns the value; `decodedEnd` tells where it ended.
 */
export function decodeIntegerTail(buf: Uint8Array, pos: number, end: number, value: number): number {
  let scale = 1
  for (let n = 0; ; n++) {
    if (pos >= end) throw new HpackError('truncated', 'block ends inside an integer', pos)
    if (n === MAX_CONTINUATION_BYTES)
      throw new HpackError('integer-overflow', 'integer longer than 2^32-1 allows', pos)
    const b = buf[pos++]!
    value += (b & 0x7f) * scale
    scale *= 0x80
    if ((b & 0x80) === 0) break
  }
  if (value > MAX_INTEGER) throw new HpackError('integer-overflow', `integer ${value} is past 2^32-1`, pos)
  decodedEnd = pos
  return value
}

/** Where the last `decodeIntegerTail` or `decodeInteger` call stopped (set synchronously by them). */
export let decodedEnd = 0

/** Decodes an integer with an N-bit prefix starting at buf[pos]; `decodedEnd` tells where it ended. */
export function decodeInteger(buf: Uint8Array, pos: number, prefixBits: number, end = buf.length): number {
  if (pos >= end) throw new HpackError('truncated', 'block ends before an integer', pos)
  const max = (1 << prefixBits) - 1
  const value = buf[pos]! & max
  if (value < max) {
    decodedEnd = pos + 1
    return value
  }
  return decodeIntegerTail(buf, pos + 1, end, value)
}
