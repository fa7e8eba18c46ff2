// Properties over random input: encode then decode is the identity whatever the table sizes do, and no
// input, random or mutated, makes the decoder throw anything but HpackError.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Decoder, Encoder, type HeaderField, isHpackError, STATIC_TABLE } from '../src/index.js'

const latin1 = fc.uint8Array({ maxLength: 80 }).map((b) => String.fromCharCode(...b))
const name = fc.oneof(
  fc.constantFrom(...STATIC_TABLE.map(([n]) => n)),
  fc.constantFrom('x-a', 'x-b', 'x-request-id', 'openai-organization'),
  latin1,
)
const value = fc.oneof(fc.constantFrom('', 'GET', '200', 'gzip, deflate', 'application/json'), latin1)
const field: fc.Arbitrary<HeaderField> = fc.oneof(
  fc.tuple(name, value),
  fc.tuple(name, value, fc.boolean()),
) as fc.Arbitrary<HeaderField>
const tableSize = fc.oneof(fc.constantFrom(0, 32, 100, 4096), fc.nat(8192))
/** A block's fields and the table size changes (0, 1 or 2, as SETTINGS may carry) made before it. */
const step = fc.record({
  sizes: fc.array(tableSize, { maxLength: 2 }),
  fields: fc.array(field, { maxLength: 12 }),
})

describe('properties', () => {
  it('decode(encode(fields)) = fields over sequences of blocks with random table size changes', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('auto', 'always', 'never'),
        (steps, huffman) => {
          const encoder = new Encoder({ huffman })
          const decoder = new Decoder({ maxHeaderListSize: 1 << 20 })
          for (const { sizes, fields } of steps) {
            for (const size of sizes) {
              // The peer's SETTINGS_HEADER_TABLE_SIZE reaches the encoder; the decoder applies it on the ACK.
              encoder.setMaxTableSize(size)
              decoder.setMaxTableSize(size)
            }
            const decoded = decoder.decodeFields(encoder.encode(fields))
            const expected = fields.map(([n, v, s]) => (s === true ? [n, v, true] : [n, v]))
            // Fields the encoder never-indexes by default come back marked too: compare name and value only
            // for those.
            expect(decoded.map(([n, v]) => [n, v])).toEqual(expected.map(([n, v]) => [n, v]))
            decoded.forEach((f, i) => {
              if (fields[i]![2] === true) expect(f[2]).toBe(true)
            })
            expect(decoder.tableSize).toBe(encoder.tableSize)
            expect(decoder.tableLength).toBe(encoder.tableLength)
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('random blocks throw nothing but HpackError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (block) => {
        try {
          new Decoder({ maxHeaderListSize: 4096 }).decode(block)
        } catch (e) {
          if (!isHpackError(e)) throw e
        }
      }),
      { numRuns: 20_000 },
    )
  })

  it('mutated valid blocks throw nothing but HpackError, and a fatal error poisons the decoder', () => {
    const encoder = new Encoder()
    const blocks = [
      encoder.encode([
        [':method', 'POST'],
        [':path', '/v1/chat/completions'],
        ['authorization', 'Bearer sk-secret'],
        ['content-type', 'application/json'],
        ['x-custom', 'a value long enough to be Huffman-coded'],
      ]),
      encoder.encode([
        ['content-type', 'application/json'],
        ['x-custom', 'a value long enough to be Huffman-coded'],
      ]),
    ]
    const mutation = fc.record({
      block: fc.constantFrom(...blocks),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat()),
    })
    fc.assert(
      fc.property(mutation, ({ block, edits, cut }) => {
        const bytes = block.slice()
        for (const [at, b] of edits) bytes[at % bytes.length] = b
        const input = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1))
        const decoder = new Decoder()
        try {
          decoder.decode(blocks[0]!)
          decoder.decode(input)
        } catch (e) {
          if (!isHpackError(e)) throw e
          if (e.fatal) expect(() => decoder.decode(new Uint8Array([0x82]))).toThrow(/decoder-failed/)
        }
      }),
      { numRuns: 20_000 },
    )
  })
})
