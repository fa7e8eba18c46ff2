/**
 * Huffman coding of string literals, RFC 7541 §5.2 and Appendix B.
 *
 * Decoding runs the generated 4-bit state machine of `huffman-table.ts`: two table lookups per input byte,
 * no per-bit work. Encoding packs codes into a 32-bit accumulator.
 */
import { HpackError } from './errors.js'
import {
  HUFFMAN_ACCEPT,
  HUFFMAN_CODES,
  HUFFMAN_DECODE,
  HUFFMAN_EMIT,
  HUFFMAN_FAIL,
  HUFFMAN_LENGTHS,
} from './huffman-table.js'
import { latin1ToString } from './latin1.js'

/** Bytes the Huffman encoding of latin1 string `s` takes. */
export function huffmanEncodedLength(s: string): number {
  let bits = 0
  for (let i = 0; i < s.length; i++) bits += HUFFMAN_LENGTHS[s.charCodeAt(i)]!
  return (bits + 7) >>> 3
}

/**
 * Writes the Huffman encoding of latin1 string `s` at out[pos] and returns the position after it. The last
 * byte is padded with the most significant bits of EOS, i.e. ones (§5.2). The caller guarantees room
 * (`huffmanEncodedLength(s)` bytes) and that every character is below U+0100.
 */
export function huffmanEncodeInto(s: string, out: Uint8Array, pos: number): number {
  let acc = 0 // pending bits, right-aligned; fewer than 8 between symbols
  let bits = 0
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i)
    let code = HUFFMAN_CODES[sym]!
    let len = HUFFMAN_LENGTHS[sym]!
    if (len > 24) {
      // Keep the accumulator within 31 bits: emit the high part of a long code first.
      const high = len - 16
      acc = (acc << high) | (code >>> 16)
      bits += high
      while (bits >= 8) {
        bits -= 8
        out[pos++] = acc >>> bits
      }
      acc &= (1 << bits) - 1
      code &= 0xffff
      len = 16
    }
    acc = (acc << len) | code
    bits += len
    while (bits >= 8) {
      bits -= 8
      out[pos++] = acc >>> bits
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) out[pos++] = (acc << (8 - bits)) | (0xff >>> bits)
  return pos
}

/**
 * Decodes the Huffman string src[start..end) into out[outPos..], returning the position after the last byte
 * written. `out` must have room for (end - start) * 8 / 5 bytes, the most a string can expand to (the
 * shortest code is 5 bits). Throws HpackError on EOS or bad padding (§5.2).
 */
export function huffmanDecodeInto(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outPos: number,
): number {
  let state = 0
  for (let i = start; i < end; i++) {
    const b = src[i]!
    let e = HUFFMAN_DECODE[(state << 4) | (b >>> 4)]!
    if (e & HUFFMAN_FAIL) throw new HpackError('huffman-eos', 'EOS symbol inside a Huffman string', i)
    if (e & HUFFMAN_EMIT) out[outPos++] = e >>> 16
    state = e & 0xff
    e = HUFFMAN_DECODE[(state << 4) | (b & 0xf)]!
    if (e & HUFFMAN_FAIL) throw new HpackError('huffman-eos', 'EOS symbol inside a Huffman string', i)
    if (e & HUFFMAN_EMIT) out[outPos++] = e >>> 16
    state = e & 0xff
  }
  if (HUFFMAN_ACCEPT[state] !== 1) {
    throw new HpackError('huffman-padding', 'padding is longer than 7 bits or not all ones', end)
  }
  return outPos
}

/** Most bytes a Huffman string of `encodedLength` bytes can decode to. */
export function huffmanMaxDecodedLength(encodedLength: number): number {
  return Math.floor((encodedLength * 8) / 5)
}

/** Huffman-encodes bytes (a standalone helper; the Encoder writes into its own buffer). */
export function huffmanEncode(bytes: Uint8Array): Uint8Array {
  const s = latin1ToString(bytes, 0, bytes.length)
  const out = new Uint8Array(huffmanEncodedLength(s))
  huffmanEncodeInto(s, out, 0)
  return out
}

/** Decodes a Huffman-encoded byte string; throws HpackError if it is malformed (§5.2). */
export function huffmanDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanMaxDecodedLength(bytes.length))
  return out.slice(0, huffmanDecodeInto(bytes, 0, bytes.length, out, 0))
}
