/**
 * @h2ts/hpack — HPACK, the header compression of HTTP/2 (RFC 7541). No dependencies, no Node APIs.
 */
export { Decoder, type DecoderOptions, type FieldProblem, type HeaderField } from './decoder.js'
export { ENTRY_OVERHEAD } from './dynamic-table.js'
export {
  defaultIndexPolicy,
  Encoder,
  type EncoderOptions,
  type HuffmanMode,
  type IndexPolicy,
} from './encoder.js'
export { COMPRESSION_ERROR, HpackError, type HpackErrorReason, isHpackError } from './errors.js'
export { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.js'
export { decodeInteger, encodeInteger, integerLength } from './integer.js'
export { STATIC_TABLE } from './static-table.js'
