// The decoder's checkField hook: literals are checked as they arrive, dynamic entries keep their verdict, and
// a rejected field never stops decoding (the table must stay in step with the encoder's).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex } from '../../../test/support/shared-data.js'
import { Decoder, Encoder, type HeaderField } from '../src/index.js'

/** A check like HTTP/2's: no uppercase names. */
const noUppercase = (name: string) => (/[A-Z]/.test(name) ? 'uppercase-field-name' : undefined)

function counting(check: (name: string, value: string) => string | undefined) {
  const calls: Array<[string, string]> = []
  return {
    calls,
    check: (name: string, value: string) => {
      calls.push([name, value])
      return check(name, value)
    },
  }
}

describe('Decoder checkField', () => {
  it('checks literals, not static entries, and keeps decoding after a rejection', () => {
    const { calls, check } = counting(noUppercase)
    const decoder = new Decoder({ checkField: check })
    // 82 = :method GET (static); 40 0358 5f4e 0176 = literal "X_N: v" with indexing; 41 0161 = :authority "a".
    const fields = decoder.decode(fromHex('82 40 03585f4e 0176 41 0161'.replace(/ /g, '')))
    expect(fields).toEqual([
      [':method', 'GET'],
      ['X_N', 'v'],
      [':authority', 'a'],
    ])
    expect(calls).toEqual([
      ['X_N', 'v'],
      [':authority', 'a'],
    ])
    expect(decoder.lastFieldProblem).toEqual({ name: 'X_N', reason: 'uppercase-field-name' })
    expect(decoder.tableLength).toBe(2)
  })

  it('a dynamic entry keeps its verdict: sent again by index, it is not checked again', () => {
    const { calls, check } = counting(noUppercase)
    const decoder = new Decoder({ checkField: check })
    decoder.decode(fromHex('40035a5a5a0176' + '4001610162')) // "ZZZ: v" (rejected), "a: b" (fine)
    expect(calls).toHaveLength(2)
    // Indexed: be = index 62, the newest entry ("a: b"); bf = index 63 ("ZZZ: v").
    decoder.decode(fromHex('be'))
    expect(decoder.lastFieldProblem).toBeUndefined()
    decoder.decode(fromHex('bf'))
    expect(decoder.lastFieldProblem).toEqual({ name: 'ZZZ', reason: 'uppercase-field-name' })
    expect(calls).toHaveLength(2)
    // Each block reports its own problem: a clean block after a rejected one has none.
    decoder.decode(fromHex('82'))
    expect(decoder.lastFieldProblem).toBeUndefined()
  })

  it('a name taken from a rejected entry with a new literal value is checked again', () => {
    const { calls, check } = counting(noUppercase)
    const decoder = new Decoder({ checkField: check })
    decoder.decode(fromHex('40035a5a5a0176'))
    // 7e = literal with indexing, name from index 62 ("ZZZ"), value "w".
    decoder.decode(fromHex('7e0177'))
    expect(calls.at(-1)).toEqual(['ZZZ', 'w'])
    expect(decoder.lastFieldProblem).toEqual({ name: 'ZZZ', reason: 'uppercase-field-name' })
  })

  it('property: the first rejected field of any block is reported, with one check per literal at most', () => {
    const name = fc.constantFrom('accept', 'x-id', 'X-Bad', 'cookie', 'Upper', 'content-type', 'x-trace')
    const value = fc.constantFrom('', 'a', 'b', 'text/plain', '1234567890')
    const block = fc.array(fc.tuple(name, value), { maxLength: 8 })
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 12 }), (blocks) => {
        const encoder = new Encoder({ huffman: 'never' })
        const { calls, check } = counting(noUppercase)
        const decoder = new Decoder({ checkField: check })
        for (const fields of blocks) {
          const before = calls.length
          const decoded = decoder.decode(encoder.encode(fields as HeaderField[]))
          expect(decoded).toEqual(fields)
          const first = decoded.find(([n]) => noUppercase(n) !== undefined)
          expect(decoder.lastFieldProblem).toEqual(
            first === undefined ? undefined : { name: first[0], reason: 'uppercase-field-name' },
          )
          expect(calls.length - before).toBeLessThanOrEqual(fields.length)
        }
      }),
    )
  })
})
