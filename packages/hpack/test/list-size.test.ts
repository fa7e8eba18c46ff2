import { describe, expect, it } from 'vitest'
import { Decoder, Encoder } from '../src/index.js'

describe('lastHeaderListSize', () => {
  it('is the RFC 7541 §4.1 size of the last list, on both sides', () => {
    const fields: Array<[string, string]> = [
      [':method', 'GET'],
      [':path', '/v1/models'],
      ['authorization', 'Bearer sk-1'],
    ]
    const size = fields.reduce((n, [name, value]) => n + name.length + value.length + 32, 0)
    const encoder = new Encoder()
    const decoder = new Decoder()
    decoder.decode(encoder.encode(fields))
    expect(encoder.lastHeaderListSize).toBe(size)
    expect(decoder.lastHeaderListSize).toBe(size)
    decoder.decode(encoder.encode([['x', 'y']]))
    expect(encoder.lastHeaderListSize).toBe(34)
    expect(decoder.lastHeaderListSize).toBe(34)
  })
})
