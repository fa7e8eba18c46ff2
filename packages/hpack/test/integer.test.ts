// RFC 7541 §5.1: integers with an N-bit prefix.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../../test/support/shared-data.js'
import { decodeInteger, encodeInteger, HpackError, integerLength } from '../src/index.js'

function decodeError(hex: string, prefix: number): HpackError {
  try {
    decodeInteger(fromHex(hex), 0, prefix)
  } catch (e) {
    if (e instanceof HpackError) return e
    throw e
  }
  throw new Error('decoded without error')
}

describe('integer codec', () => {
  it('round-trips every value up to 2^32-1 for every prefix 1..8, keeping the pattern bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(0xffffffff), (prefix, value) => {
        const out = new Uint8Array(8)
        const pattern = (0xff << prefix) & 0xff
        const end = encodeInteger(out, 0, value, prefix, pattern)
        expect(end).toBe(integerLength(value, prefix))
        expect(out[0]! & pattern).toBe(pattern)
        expect(decodeInteger(out.subarray(0, end), 0, prefix)).toBe(value)
      }),
      { numRuns: 5000 },
    )
  })

  it('encodes values just below, at and above the prefix maximum', () => {
    for (let prefix = 1; prefix <= 8; prefix++) {
      const max = (1 << prefix) - 1
      expect(integerLength(max - 1, prefix)).toBe(1)
      expect(integerLength(max, prefix)).toBe(2) // full prefix then a 0 continuation byte
      expect(integerLength(max + 127, prefix)).toBe(2)
      expect(integerLength(max + 128, prefix)).toBe(3)
    }
  })

  it('accepts 2^32-1 and rejects 2^32', () => {
    const out = new Uint8Array(8)
    const end = encodeInteger(out, 0, 0xffffffff, 5, 0)
    expect(decodeInteger(out.subarray(0, end), 0, 5)).toBe(0xffffffff)
    // 2^32 with a 5-bit prefix: 31 + 0xffffffe1 -> e1 ff ff ff 0f
    expect(decodeError('1fe1ffffff0f', 5).reason).toBe('integer-overflow')
  })

  it('rejects an endless run of continuation bytes without reading it all', () => {
    const e = decodeError(`ff${'80'.repeat(1000)}00`, 8)
    expect(e.reason).toBe('integer-overflow')
    expect(e.offset).toBeLessThan(10)
  })

  it('rejects an integer cut off by the end of the block', () => {
    expect(decodeError('1f9a', 5).reason).toBe('truncated')
    expect(decodeError('', 5).reason).toBe('truncated')
  })
})
