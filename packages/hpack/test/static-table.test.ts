// RFC 7541 Appendix A, checked against hpack.js's copy (an independent transcription).
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { Decoder, Encoder, STATIC_TABLE } from '../src/index.js'

describe('static table', () => {
  it('has the 61 entries of Appendix A, as an independent implementation has them', () => {
    const require = createRequire(import.meta.url)
    const peer = require('hpack.js/lib/hpack/static-table.js') as {
      table: Array<{ name: string; value: string }>
    }
    expect(STATIC_TABLE).toHaveLength(61)
    expect(STATIC_TABLE.map(([n, v]) => [n, v])).toEqual(peer.table.map(({ name, value }) => [name, value]))
  })

  it('decodes every static index and encodes every pair with a value as one byte', () => {
    const d = new Decoder()
    const e = new Encoder()
    STATIC_TABLE.forEach(([name, value], i) => {
      expect(d.decode(new Uint8Array([0x80 | (i + 1)]))).toEqual([[name, value]])
      if (value !== '' || name === ':authority') {
        // An empty value matches the first entry of that name that has an empty value.
        expect(e.encode([[name, value]])).toEqual(new Uint8Array([0x80 | (i + 1)]))
      }
    })
  })
})
