// Decoder rules of RFC 7541 §2.3.3, §4, §6 and the limits that keep it safe. Each malformed block is sent
// as bytes and must fail with HpackError (COMPRESSION_ERROR) and the stated reason.
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../../test/support/shared-data.js'
import {
  COMPRESSION_ERROR,
  Decoder,
  type DecoderOptions,
  Encoder,
  HpackError,
  isHpackError,
} from '../src/index.js'

function failure(decoder: Decoder, hex: string): HpackError {
  try {
    decoder.decode(fromHex(hex))
  } catch (e) {
    if (isHpackError(e)) return e
    throw e
  }
  throw new Error(`${hex} decoded without error`)
}
const fail = (hex: string, options?: DecoderOptions) => failure(new Decoder(options), hex)

/** A literal with incremental indexing and a new name (§6.2.1), raw strings. */
const literal = (name: string, value: string) => `40${hexString(name)}${hexString(value)}`
function hexString(s: string): string {
  if (s.length >= 127) throw new Error('test helper handles short strings only')
  return s.length.toString(16).padStart(2, '0') + Buffer.from(s, 'latin1').toString('hex')
}

describe('indexes', () => {
  it('§6.1: index 0 in an indexed field is an error', () => {
    const e = fail('80')
    expect(e.reason).toBe('index-zero')
    expect(e.code).toBe(COMPRESSION_ERROR)
    expect(e.fatal).toBe(true)
  })

  it('§2.3.3: an index past both tables is an error, in indexed fields and in literal names', () => {
    expect(fail('be').reason).toBe('index-out-of-range') // 62, empty dynamic table
    expect(fail('7e0161').reason).toBe('index-out-of-range') // literal, name index 62
    expect(fail('0f2f0161').reason).toBe('index-out-of-range') // without indexing, name index 62
    const d = new Decoder()
    d.decode(fromHex(literal('x-a', '1')))
    expect(d.decode(fromHex('be'))).toEqual([['x-a', '1']])
    expect(failure(d, 'bf').reason).toBe('index-out-of-range') // 63 with one entry
  })

  it('§2.3.3: the last static index (61) and the first dynamic one (62) resolve', () => {
    const d = new Decoder()
    d.decode(fromHex(literal('x-b', '2')))
    expect(d.decode(fromHex('bdbe'))).toEqual([
      ['www-authenticate', ''],
      ['x-b', '2'],
    ])
  })
})

describe('dynamic table size updates', () => {
  it('§6.3: an update above the acknowledged limit is an error', () => {
    expect(fail('3fe21f', { maxTableSize: 4096 }).reason).toBe('table-size-update-too-large') // 4097
  })

  it('§6.3: an update to exactly the limit, and below it, are accepted and evict', () => {
    const d = new Decoder({ maxTableSize: 4096 })
    d.decode(fromHex(`3fe11f${literal('x-c', '3')}`)) // update to 4096 = limit
    expect(d.tableCapacity).toBe(4096)
    d.decode(fromHex('20')) // update to 0 empties the table
    expect(d.tableLength).toBe(0)
    expect(d.tableSize).toBe(0)
  })

  it('§4.2: an update after a field is an error', () => {
    expect(fail('8220').reason).toBe('table-size-update-misplaced')
  })

  it('§4.2: after the limit is lowered, the next block must start with an update to at most that limit', () => {
    const d = new Decoder()
    d.setMaxTableSize(100)
    expect(failure(d, '82').reason).toBe('table-size-update-missing')
    const d2 = new Decoder()
    d2.setMaxTableSize(100)
    expect(failure(d2, '3f4682').reason).toBe('table-size-update-too-large') // 31 + 70 = 101
  })

  it('§4.2: a lowered limit is satisfied by an update at or below it, and the table shrinks', () => {
    const d = new Decoder()
    d.decode(fromHex(literal('x-d', '4') + literal('x-e', '5')))
    d.setMaxTableSize(40) // room for one 36-byte entry
    expect(d.decode(fromHex('3f0982'))).toEqual([[':method', 'GET']]) // update to 40
    expect(d.tableCapacity).toBe(40)
    expect(d.tableLength).toBe(1)
    expect(d.decode(fromHex('be'))).toEqual([['x-e', '5']])
  })

  it('§4.2: shrink then grow before a block needs the smallest value signalled first', () => {
    const d = new Decoder()
    d.setMaxTableSize(0)
    d.setMaxTableSize(4096)
    expect(failure(d, '3fe11f82').reason).toBe('table-size-update-missing') // only the final value
    const ok = new Decoder()
    ok.setMaxTableSize(0)
    ok.setMaxTableSize(4096)
    expect(ok.decode(fromHex('203fe11f82'))).toEqual([[':method', 'GET']]) // 0, then 4096
    expect(ok.tableCapacity).toBe(4096)
  })

  it('raising the limit needs no update, and allows a larger one', () => {
    const d = new Decoder()
    d.setMaxTableSize(8192)
    expect(d.decode(fromHex('82'))).toEqual([[':method', 'GET']])
    d.decode(fromHex('3fe13f')) // 8192
    expect(d.tableCapacity).toBe(8192)
  })
})

describe('§4.4 entries larger than the table', () => {
  it('empty the table and are not added, without error', () => {
    const d = new Decoder({ maxTableSize: 64 })
    d.decode(fromHex(literal('x-f', '6')))
    expect(d.tableLength).toBe(1)
    const big = 'v'.repeat(40) // 3 + 40 + 32 = 75 > 64
    expect(d.decode(fromHex(literal('x-g', big)))).toEqual([['x-g', big]])
    expect(d.tableLength).toBe(0)
    expect(d.tableSize).toBe(0)
  })
})

describe('truncation', () => {
  it('fails with truncated wherever a block is cut', () => {
    const block = new Encoder({ huffman: 'never' }).encode([
      ['x-long', 'z'.repeat(300)],
      [':path', '/a'],
      ['x-h', 'huffman-me-please'],
    ])
    for (let cut = 1; cut < block.length; cut++) {
      const d = new Decoder()
      let error: unknown
      try {
        d.decode(block.subarray(0, cut))
      } catch (e) {
        error = e
      }
      // Some cuts land on a field boundary and are a valid shorter block; the rest must say truncated.
      if (error !== undefined) expect((error as HpackError).reason, `cut at ${cut}`).toBe('truncated')
    }
    expect(fail('4003616263').reason).toBe('truncated') // name says 3 bytes, value missing
    expect(fail('4005616263').reason).toBe('truncated') // name runs past the end
  })
})

describe('limits', () => {
  it('an HPACK bomb (one large entry referenced many times) fails without building the list, and is not fatal', () => {
    const value = 'b'.repeat(3000)
    const first = new Encoder({ indexPolicy: () => true }).encode([['x-bomb', value]])
    const d = new Decoder({ maxHeaderListSize: 65536 })
    d.decode(first)
    // 10,000 one-byte references to a 3 KB entry would expand to 30 MB.
    const bomb = new Uint8Array(10_000).fill(0xbe)
    const e = failure(d, Buffer.from(bomb).toString('hex'))
    expect(e.reason).toBe('header-list-too-large')
    expect(e.fatal).toBe(false)
    // The block was decoded to its end, so the table is still in step and the decoder keeps working.
    expect(d.decode(fromHex('be'))).toEqual([['x-bomb', value]])
  })

  it('counts name + value + 32 per field against maxHeaderListSize (RFC 9113 §6.5.2)', () => {
    // ':method: GET' = 7 + 3 + 32 = 42
    expect(new Decoder({ maxHeaderListSize: 84 }).decode(fromHex('8282'))).toHaveLength(2)
    expect(failure(new Decoder({ maxHeaderListSize: 83 }), '8282').reason).toBe('header-list-too-large')
  })

  it('a string literal longer than maxStringLength is a fatal error, raw or Huffman', () => {
    expect(fail(literal('x-i', 'a'.repeat(11)), { maxStringLength: 10 }).reason).toBe('string-too-long')
    // 8 Huffman bytes: twelve '0' symbols (5 bits each) and 4 bits of padding, 12 characters > 10.
    expect(fail('40017888000000000000000f', { maxStringLength: 10 }).reason).toBe('string-too-long')
    // A length field claiming 2^32-1 bytes fails on the length, before any allocation.
    expect(fail('407f80ffffff0f', { maxStringLength: 1 << 20 }).reason).toBe('string-too-long')
  })

  it('after a fatal error every later block is refused: the table can no longer be trusted', () => {
    const d = new Decoder()
    expect(failure(d, '80').reason).toBe('index-zero')
    const e = failure(d, '82')
    expect(e.reason).toBe('decoder-failed')
    expect(e.message).toContain('index-zero')
  })
})

describe('representations', () => {
  it('§6.2.2 and §6.2.3: literals without indexing and never indexed do not touch the table', () => {
    const d = new Decoder()
    // 0x00 new name, 0x10 never indexed new name, 0x04 name index 4 (:path)
    expect(d.decodeFields(fromHex('0001610161100162016204022f78'))).toEqual([
      ['a', 'a'],
      ['b', 'b', true],
      [':path', '/x'],
    ])
    expect(d.tableLength).toBe(0)
  })

  it('names and values are byte strings: 0x80-0xff come out as latin1 characters', () => {
    const d = new Decoder()
    expect(d.decode(fromHex('000178' + '03e9ff80'))).toEqual([['x', '\u00e9\u00ff\u0080']])
  })

  it('an empty block is an empty list', () => {
    expect(new Decoder().decode(new Uint8Array(0))).toEqual([])
  })

  it('rejects bad options', () => {
    expect(() => new Decoder({ maxTableSize: -1 })).toThrow(RangeError)
    expect(() => new Decoder().setMaxTableSize(2 ** 32)).toThrow(RangeError)
  })

  it('errors carry a brand that survives a second copy of the package', () => {
    const e = fail('80')
    expect(e).toBeInstanceOf(HpackError)
    expect(isHpackError(e)).toBe(true)
    expect(isHpackError(new Error('x'))).toBe(false)
    expect(isHpackError({ [Symbol.for('h2ts.HpackError')]: true })).toBe(true)
  })
})
