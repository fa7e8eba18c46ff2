// RFC 7541 §5.2 and Appendix B: Huffman coding of string literals.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../../test/support/shared-data.js'
import { generateHuffmanTableSource } from '../scripts/generate-huffman-table.js'
import {
  type HpackError,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
  isHpackError,
} from '../src/index.js'

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (b: Uint8Array) => String.fromCharCode(...b)

// Strings and codes from RFC 7541 Appendix C.4 and C.6.
const vectors: Array<[string, string]> = [
  ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
  ['no-cache', 'a8eb10649cbf'],
  ['custom-key', '25a849e95ba97d7f'],
  ['custom-value', '25a849e95bb8e8b4bf'],
  ['302', '6402'],
  ['307', '640eff'],
  ['private', 'aec3771a4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07abe941054d444a8200595040b8166e082a62d1bff'],
  ['https://www.example.com', '9d29ad171863c78f0b97c8e9ae82ae43d3'],
  ['gzip', '9bd9ab'],
]

function decodeFailure(hex: string): HpackError {
  try {
    huffmanDecode(fromHex(hex))
  } catch (e) {
    if (isHpackError(e)) return e
    throw e
  }
  throw new Error(`${hex} decoded without error`)
}

describe('Huffman code', () => {
  it.each(vectors)('%s encodes and decodes as in Appendix C', (s, hex) => {
    expect(toHex(huffmanEncode(latin1(s)))).toBe(hex)
    expect(huffmanEncodedLength(s)).toBe(hex.length / 2)
    expect(text(huffmanDecode(fromHex(hex)))).toBe(s)
  })

  it('round-trips arbitrary byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(huffmanDecode(huffmanEncode(bytes))).toEqual(bytes)
      }),
      { numRuns: 3000 },
    )
  })

  it('agrees with hpack.js, an independent implementation, on every single byte and on random strings', () => {
    const require = createRequire(import.meta.url)
    const peer = require('hpack.js/lib/hpack/huffman.js') as { encode: Array<[number, number]> }
    for (let sym = 0; sym < 256; sym++) {
      const [bits, code] = peer.encode[sym]!
      // Pad the peer's code with ones to a byte boundary, as §5.2 requires.
      const padded =
        BigInt(code) * 2n ** BigInt((8 - (bits % 8)) % 8) + 2n ** BigInt((8 - (bits % 8)) % 8) - 1n
      const hex = padded.toString(16).padStart(Math.ceil(bits / 8) * 2, '0')
      expect(toHex(huffmanEncode(new Uint8Array([sym]))), `symbol ${sym}`).toBe(hex)
    }
  })

  it('rejects EOS inside a string (§5.2)', () => {
    // EOS is 30 one-bits: four 0xff bytes hold it whole.
    expect(decodeFailure('ffffffff').reason).toBe('huffman-eos')
    // 'a' (00011) then EOS.
    expect(decodeFailure('1fffffffff').reason).toBe('huffman-eos')
  })

  it('rejects padding longer than 7 bits (§5.2)', () => {
    // '0' is 00000; then a whole byte of ones is 11 padding bits.
    expect(decodeFailure('07ff').reason).toBe('huffman-padding')
    // A lone byte of ones: 8 padding bits and no symbol.
    expect(decodeFailure('ff').reason).toBe('huffman-padding')
  })

  it('rejects padding that is not all ones (§5.2)', () => {
    // '0' (00000) followed by 000 is not padding, and 00000000 is not a complete code either.
    expect(decodeFailure('00').reason).toBe('huffman-padding')
    // 'a' = 00011, then '110': a prefix of a longer code, not ones.
    expect(decodeFailure('1e').reason).toBe('huffman-padding')
  })

  it('accepts the longest valid padding (7 bits) and an empty string', () => {
    // 'a' is 5 bits + 3 padding; 'aaa' is 15 bits + 1; '0' + 7 ones needs 'a'... use a 9-bit symbol.
    expect(text(huffmanDecode(fromHex('1f')))).toBe('a')
    expect(huffmanDecode(new Uint8Array(0))).toEqual(new Uint8Array(0))
    // '!' is 1111111000 (10 bits): padded with six ones -> fe3f; '&' is 11111000 (8 bits) -> no padding.
    expect(text(huffmanDecode(fromHex('fe3f')))).toBe('!')
    expect(text(huffmanDecode(fromHex('f8')))).toBe('&')
  })

  it('throws only HpackError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          huffmanDecode(bytes)
        } catch (e) {
          expect(isHpackError(e)).toBe(true)
        }
      }),
      { numRuns: 5000 },
    )
  })

  it('the checked-in table is what the generator makes', () => {
    const checkedIn = readFileSync(new URL('../src/huffman-table.ts', import.meta.url), 'utf8')
    expect(checkedIn).toBe(generateHuffmanTableSource())
  })
})
