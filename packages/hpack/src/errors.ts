/** COMPRESSION_ERROR (RFC 9113 §7): the code an HTTP/2 connection closes with when HPACK decoding fails. */
export const COMPRESSION_ERROR = 0x9

/** Stable names of everything that can go wrong while decoding, for logs and metrics. */
export type HpackErrorReason =
  | 'truncated' // the block ends inside a representation
  | 'integer-overflow' // an integer past 2^32-1 or with too many continuation bytes (§5.1)
  | 'index-zero' // index 0 (§6.1)
  | 'index-out-of-range' // past the static and dynamic tables (§2.3.3)
  | 'huffman-eos' // EOS inside a Huffman string (§5.2)
  | 'huffman-padding' // padding longer than 7 bits or not all ones (§5.2)
  | 'string-too-long' // a string literal over the decoder's maxStringLength
  | 'table-size-update-too-large' // an update above the acknowledged SETTINGS_HEADER_TABLE_SIZE (§6.3)
  | 'table-size-update-misplaced' // an update after the first field of a block (§4.2)
  | 'table-size-update-missing' // the limit was lowered and the block does not start with an update (§4.2)
  | 'header-list-too-large' // the decoded list is over maxHeaderListSize (name + value + 32 per field)
  | 'decoder-failed' // a previous fatal error left the dynamic table out of sync

const BRAND = Symbol.for('h2ts.HpackError')

/**
 * A header block could not be decoded.
 *
 * `fatal` errors leave the dynamic table out of step with the peer's encoder: the connection must end with
 * COMPRESSION_ERROR (RFC 9113 §4.3), and this decoder refuses every later block. The one error that is not
 * fatal is `header-list-too-large`: the block was decoded to its end, so the table is still in sync and only
 * the stream needs to be refused (RFC 9113 §10.5.1 lets a server answer 431).
 */
export class HpackError extends Error {
  /** The HTTP/2 error code (RFC 9113 §7) a fatal error ends the connection with. */
  readonly code: number = COMPRESSION_ERROR
  readonly reason: HpackErrorReason
  readonly fatal: boolean
  /** Byte offset in the block where the problem was found. */
  readonly offset: number
  readonly [BRAND] = true

  constructor(reason: HpackErrorReason, message: string, offset: number) {
    super(`HPACK ${reason}: ${message} (at byte ${offset})`)
    this.name = 'HpackError'
    this.reason = reason
    this.offset = offset
    this.fatal = reason !== 'header-list-too-large'
  }
}

/** True for an HpackError from any copy of this package (checks a brand, not only the prototype chain). */
export function isHpackError(value: unknown): value is HpackError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
}
