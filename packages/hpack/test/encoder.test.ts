// Encoder choices: what it indexes, what it never indexes (RFC 7541 §7.1.3), how it signals table size
// changes (§4.2, §6.3), and how it writes strings (§5.2).
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../test/support/shared-data.js'
import { Decoder, Encoder, type HeaderField } from '../src/index.js'

const firstByte = (fields: HeaderField[], encoder = new Encoder()) => encoder.encode(fields)[0]!

describe('never-indexed fields (§6.2.3, §7.1.3)', () => {
  it('authorization and proxy-authorization are never indexed by default', () => {
    expect(firstByte([['authorization', 'Bearer sk-123']]) & 0xf0).toBe(0x10)
    expect(firstByte([['proxy-authorization', 'Basic eA==']]) & 0xf0).toBe(0x10)
  })

  it('short cookies are never indexed; long ones are indexed', () => {
    expect(firstByte([['cookie', 'sid=abc']]) & 0xf0).toBe(0x10)
    expect(firstByte([['cookie', 'x'.repeat(40)]]) & 0xc0).toBe(0x40)
  })

  it('a third element true makes any field never indexed; false overrides the defaults', () => {
    expect(firstByte([['x-api-key', 'secret', true]]) & 0xf0).toBe(0x10)
    expect(firstByte([['authorization', 'Bearer public', false]]) & 0xc0).toBe(0x40)
  })

  it('never-indexed fields reach the decoder marked, so a proxy re-encodes them the same way', () => {
    const encoder = new Encoder()
    const decoder = new Decoder()
    const fields = decoder.decodeFields(
      encoder.encode([
        ['authorization', 'Bearer x'],
        ['accept', 'text/plain'],
      ]),
    )
    expect(fields).toEqual([
      ['authorization', 'Bearer x', true],
      ['accept', 'text/plain'],
    ])
    expect(firstByte(fields) & 0xf0).toBe(0x10)
    expect(encoder.tableLength).toBe(1) // only accept
  })
})

describe('indexing', () => {
  it('a repeated field becomes a one-byte reference to the dynamic table', () => {
    const e = new Encoder()
    e.encode([['x-request-kind', 'chat']])
    expect(toHex(e.encode([['x-request-kind', 'chat']]))).toBe('be')
  })

  it('a known name with a new value references the name (static, else dynamic)', () => {
    const e = new Encoder({ huffman: 'never' })
    expect(toHex(e.encode([['content-type', 'a']]))).toBe('5f0161') // 0x40 | static index 31
    expect(toHex(e.encode([['x-y', '1']]))).toBe('4003782d790131')
    expect(toHex(e.encode([['x-y', '2']]))).toBe('7e0132') // name from dynamic index 62
  })

  it('volatile fields (:path, content-length, …) are sent without indexing', () => {
    const e = new Encoder()
    expect(firstByte([[':path', '/v1/chat/completions']], e) & 0xf0).toBe(0x00)
    expect(firstByte([['content-length', '1234']], e) & 0xf0).toBe(0x00)
    expect(e.tableLength).toBe(0)
  })

  it('a volatile field whose name is in no table is indexed once; later ones send the name by index', () => {
    const e = new Encoder({ huffman: 'never' })
    const d = new Decoder()
    const ids = ['0b6f9c1e-1', '0b6f9c1e-2', '0b6f9c1e-3']
    const blocks = ids.map((id) => e.encode([['x-request-id', id]]).slice())
    // The first: literal with incremental indexing and a new name (§6.2.1).
    const raw = (text: string) => toHex(Buffer.from(text, 'latin1'))
    expect(toHex(blocks[0]!)).toBe(`400c${raw('x-request-id')}0a${raw('0b6f9c1e-1')}`)
    // The next ones: literal without indexing, name from dynamic index 62 (§6.2.2: 0000 + 4-bit prefix 15,
    // then 62 - 15 = 47 = 0x2f), value spelled out; the table keeps the one entry.
    expect(toHex(blocks[1]!)).toBe(`0f2f0a${raw('0b6f9c1e-2')}`)
    expect(e.tableLength).toBe(1)
    expect(blocks.map((b) => d.decode(b))).toEqual(ids.map((id) => [['x-request-id', id]]))
    // A name in the static table (:path) is never indexed: the name is referenced there.
    expect(firstByte([[':path', '/a']], e) & 0xf0).toBe(0x00)
    expect(e.tableLength).toBe(1)
  })

  it('a field larger than 3/4 of the table is not indexed, so it does not flush the table', () => {
    const e = new Encoder({ maxTableSize: 256 })
    e.encode([['x-keep', 'me']])
    e.encode([['x-big', 'v'.repeat(200)]])
    expect(e.tableLength).toBe(1)
  })

  it('§4.4: an entry larger than the whole table empties it, in step with the decoder', () => {
    const e = new Encoder({ maxTableSize: 100, indexPolicy: () => true })
    const d = new Decoder({ maxTableSize: 100 })
    d.decode(e.encode([['x-a', '1']]))
    d.decode(e.encode([['x-big', 'v'.repeat(100)]]))
    expect(e.tableLength).toBe(0)
    expect(d.tableLength).toBe(0)
    expect(d.decode(e.encode([['x-a', '1']]))).toEqual([['x-a', '1']])
  })
})

describe('table size updates', () => {
  it('no update when the size does not change', () => {
    const e = new Encoder()
    e.setMaxTableSize(4096)
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('82')
  })

  it('§6.3: a single change is signalled once, at the start of the next block only', () => {
    const e = new Encoder()
    e.setMaxTableSize(1024)
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('3fe10782') // 1024 = 31 + 993
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('82')
    expect(e.tableCapacity).toBe(1024)
  })

  it('§4.2: shrink then grow between blocks signals the smallest value, then the final one', () => {
    const e = new Encoder()
    e.setMaxTableSize(0)
    e.setMaxTableSize(4096)
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('203fe11f82')
    const d = new Decoder()
    d.setMaxTableSize(0)
    d.setMaxTableSize(4096)
    const e2 = new Encoder()
    e2.encode([['x-a', 'b']])
    e2.setMaxTableSize(0)
    e2.setMaxTableSize(4096)
    // The shrink to 0 evicted everything on both sides: the field is sent as a literal again.
    expect(toHex(e2.encode([['x-a', 'b']])).startsWith('203fe11f40')).toBe(true)
  })

  it('tableSizeCap bounds the table whatever the peer allows, signalled in the first block', () => {
    const e = new Encoder({ tableSizeCap: 1024 })
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('3fe10782')
    e.setMaxTableSize(65536)
    expect(toHex(e.encode([[':method', 'GET']]))).toBe('82')
    expect(e.tableCapacity).toBe(1024)
  })
})

describe('strings (§5.2)', () => {
  it("huffman 'auto' picks the shorter form, 'never' and 'always' force one", () => {
    // 'www.example.com' is 12 bytes in Huffman; '\u00ff\u00fe' is 26 bits each, longer than raw.
    expect(toHex(new Encoder().encode([['x', 'www.example.com', true]]))).toBe(
      '100178' + '8cf1e3c2e5f23a6ba0ab90f4ff',
    )
    expect(toHex(new Encoder().encode([['x', '\u00ff\u00fe', true]]))).toBe('10017802fffe')
    expect(new Encoder({ huffman: 'never' }).encode([['x', 'www.example.com', true]])[3]).toBe(15)
    expect(new Encoder({ huffman: 'always' }).encode([['x', '\u00ff\u00fe', true]])[3]! & 0x80).toBe(0x80)
  })

  it('bytes 0x00-0xff survive encode then decode unchanged (latin1 mapping)', () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
    for (const huffman of ['auto', 'always', 'never'] as const) {
      const e = new Encoder({ huffman })
      expect(new Decoder().decode(e.encode([['x-bin', all]]))).toEqual([['x-bin', all]])
    }
  })

  it('refuses characters above U+00FF with a TypeError', () => {
    expect(() => new Encoder().encode([['x', 'caf\u00e9 \u2603']])).toThrow(TypeError)
    expect(() => new Encoder({ huffman: 'never' }).encode([['\u2603', 'x']])).toThrow(TypeError)
  })

  it('writes long strings with a multi-byte length', () => {
    const value = 'q'.repeat(70_000)
    const block = new Encoder({ huffman: 'never' }).encode([['x-long', value, true]])
    expect(new Decoder({ maxHeaderListSize: 100_000 }).decode(block)).toEqual([['x-long', value]])
  })
})

describe('output buffers', () => {
  it('a returned block never changes, however many blocks follow (slab views are not reused)', () => {
    const e = new Encoder()
    const kept: Array<{ block: Uint8Array; copy: Uint8Array; fields: HeaderField[] }> = []
    for (let i = 0; i < 400; i++) {
      // Sizes from a few bytes to past a slab, so blocks straddle slab changes.
      const fields: HeaderField[] = [
        ['x-n', String(i)],
        ['x-pad', 'p'.repeat((i * 37) % 20_000)],
      ]
      const block = e.encode(fields)
      kept.push({ block, copy: block.slice(), fields })
    }
    const d = new Decoder({ maxHeaderListSize: 1 << 20 })
    for (const { block, copy, fields } of kept) {
      expect(block.every((b, i) => b === copy[i])).toBe(true)
      const decoded = d.decode(block)
      expect(decoded[0]).toEqual(fields[0])
      expect(decoded[1]![1].length).toBe(fields[1]![1].length)
    }
  })
})
