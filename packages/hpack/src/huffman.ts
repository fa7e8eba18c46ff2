/**
 * Huffman coding of string literals, RFC 7541 §5.2 and Appendix B.
 *
 * Decoding runs a byte-indexed table derived from the generated 4-bit state machine of `huffman-table.ts`:
 * one lookup per input byte, no per-bit work. Encoding packs codes into a 32-bit accumulator
 * flushed four bytes at a time.
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
import { assertLatin1, latin1ToString } from './latin1.js'

/** Bytes the Huffman encoding of latin1 string `s` takes; throws a TypeError past U+00FF. */
export function huffmanEncodedLength(s: string): number {
  let bits = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) assertLatin1(s, 'header field')
    bits += HUFFMAN_LENGTHS[c]!
  }
  return (bits + 7) >>> 3
}

/**
 * Writes the Huffman encoding of latin1 string `s` at out[pos] and returns the position after it. The last
 * byte is padded with the most significant bits of EOS, i.e. ones (§5.2). The caller guarantees room
 * (`huffmanEncodedLength(s)` bytes). Throws a TypeError for a character above U+00FF.
 */
export function huffmanEncodeInto(s: string, out: Uint8Array, pos: number): number {
  // Codes collect in a 32-bit accumulator that is written out four bytes at a time when the next code
  // does not fit; codes are at most 30 bits, so a code straddles at most one flush.
  let acc = 0
  let bits = 0
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i)
    if (sym > 0xff) assertLatin1(s, 'header field')
    const code = HUFFMAN_CODES[sym]!
    const len = HUFFMAN_LENGTHS[sym]!
    if (bits + len <= 32) {
      acc = (acc << len) | code
      bits += len
      continue
    }
    const rest = len - (32 - bits) // bits of this code left over after filling the accumulator
    acc = (acc << (32 - bits)) | (code >>> rest)
    out[pos] = acc >>> 24
    out[pos + 1] = acc >>> 16
    out[pos + 2] = acc >>> 8
    out[pos + 3] = acc
    pos += 4
    acc = code & ((1 << rest) - 1)
    bits = rest
  }
  for (; bits >= 8; bits -= 8) out[pos++] = acc >>> (bits - 8)
  if (bits > 0) out[pos++] = (acc << (8 - bits)) | (0xff >>> bits)
  return pos
}

/**
 * A byte-at-a-time decoder table, derived at module load from the checked-in 4-bit machine by running each
 * byte's two nibbles: entry [state * 256 + byte] holds the next state (bits 0..7), how many symbols the byte
 * completes (bits 8..9, at most 2 since codes are 5 bits or longer), FAIL (bit 10), and the symbols (bits
 * 16..23 and 24..31). 256 KiB, and half the lookups and branches of the 4-bit machine per input byte.
 */
const BYTE_FAIL = 0x400
const BYTE_DECODE: Uint32Array = (() => {
  const table = new Uint32Array(256 * 256)
  for (let state = 0; state < 256; state++) {
    for (let byte = 0; byte < 256; byte++) {
      let entry = 0
      let count = 0
      let s = state
      // The high nibble, then the low one (a counter, not an array: this body runs 65,536 times at import,
      // and an array per run would be 3 MB of garbage that grows the young generation for good).
      for (let shift = 4; shift >= 0; shift -= 4) {
        const nibble = (byte >>> shift) & 0xf
        const e = HUFFMAN_DECODE[(s << 4) | nibble]!
        if (e & HUFFMAN_FAIL) {
          entry = BYTE_FAIL
          break
        }
        if (e & HUFFMAN_EMIT) entry |= (e >>> 16) << (16 + 8 * count++)
        s = e & 0xff
      }
      table[(state << 8) | byte] = entry & BYTE_FAIL ? BYTE_FAIL : (entry | (count << 8) | s) >>> 0
    }
  }
  return table
})()

/** Whether the last `huffmanDecodeInto` call produced only ASCII bytes (below 0x80). */
export let lastDecodeWasAscii = true

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
  let seen = 0
  for (let i = start; i < end; i++) {
    const e = BYTE_DECODE[(state << 8) | src[i]!]!
    if (e & BYTE_FAIL) throw new HpackError('huffman-eos', 'EOS symbol inside a Huffman string', i)
    const count = (e >>> 8) & 3
    if (count !== 0) {
      out[outPos++] = e >>> 16
      if (count === 2) out[outPos++] = e >>> 24
      seen |= e
    }
    state = e & 0xff
  }
  if (HUFFMAN_ACCEPT[state] !== 1) {
    throw new HpackError('huffman-padding', 'padding is longer than 7 bits or not all ones', end)
  }
  // Bit 7 of either symbol set means a byte of 0x80 or more.
  lastDecodeWasAscii = (seen & 0x80800000) === 0
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
