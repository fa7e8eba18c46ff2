// RFC 7541 Appendix C, byte for byte, in both directions: the decoder yields the listed fields and table
// state, and the encoder (indexing everything, as the examples do) yields the listed bytes.
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../../test/support/shared-data.js'
import { Decoder, decodeInteger, Encoder, encodeInteger, type HuffmanMode } from '../src/index.js'

type Pair = [string, string]
interface Step {
  wire: string
  fields: Pair[]
  /** Dynamic table size (§4.1) after the block. */
  tableSize: number
  /** Dynamic table entries after the block, newest first. */
  table: Pair[]
}

function checkSeries(tableSize: number, huffman: HuffmanMode, steps: Step[]): void {
  const decoder = new Decoder({ maxTableSize: tableSize })
  const encoder = new Encoder({ maxTableSize: tableSize, huffman, indexPolicy: () => true })
  for (const step of steps) {
    const wire = fromHex(step.wire)
    expect(decoder.decode(wire)).toEqual(step.fields)
    expect(decoder.tableSize).toBe(step.tableSize)
    expect(decoder.tableLength).toBe(step.table.length)
    expect(toHex(encoder.encode(step.fields))).toBe(toHex(wire))
    expect(encoder.tableSize).toBe(step.tableSize)
  }
  // The table's content shows through indexed references: index 62 is the newest entry (§2.3.3).
  const last = steps[steps.length - 1]!
  const indexes = new Uint8Array(last.table.map((_, i) => 0x80 | (62 + i)))
  expect(decoder.decode(indexes)).toEqual(last.table)
}

describe('C.1 integer representation', () => {
  it('C.1.1 encodes 10 with a 5-bit prefix in one byte', () => {
    const out = new Uint8Array(8)
    expect(encodeInteger(out, 0, 10, 5, 0)).toBe(1)
    expect(toHex(out.subarray(0, 1))).toBe('0a')
    expect(decodeInteger(out, 0, 5)).toBe(10)
  })
  it('C.1.2 encodes 1337 with a 5-bit prefix as 1f 9a 0a', () => {
    const out = new Uint8Array(8)
    expect(encodeInteger(out, 0, 1337, 5, 0)).toBe(3)
    expect(toHex(out.subarray(0, 3))).toBe('1f9a0a')
    expect(decodeInteger(fromHex('1f9a0a'), 0, 5)).toBe(1337)
    // The bits above the prefix belong to the representation and are ignored (§5.1).
    expect(decodeInteger(fromHex('ff9a0a'), 0, 5)).toBe(1337)
  })
  it('C.1.3 encodes 42 starting at an octet boundary', () => {
    const out = new Uint8Array(8)
    expect(encodeInteger(out, 0, 42, 8, 0)).toBe(1)
    expect(out[0]).toBe(0x2a)
    expect(decodeInteger(out, 0, 8)).toBe(42)
  })
})

describe('C.2 header field representations', () => {
  it('C.2.1 literal with indexing', () => {
    const wire = '400a637573746f6d2d6b65790d637573746f6d2d686561646572'
    const d = new Decoder()
    expect(d.decode(fromHex(wire))).toEqual([['custom-key', 'custom-header']])
    expect(d.tableSize).toBe(55)
    const e = new Encoder({ huffman: 'never', indexPolicy: () => true })
    expect(toHex(e.encode([['custom-key', 'custom-header']]))).toBe(wire)
    expect(e.tableSize).toBe(55)
  })
  it('C.2.2 literal without indexing', () => {
    const wire = '040c2f73616d706c652f70617468'
    const d = new Decoder()
    expect(d.decode(fromHex(wire))).toEqual([[':path', '/sample/path']])
    expect(d.tableLength).toBe(0)
    const e = new Encoder({ huffman: 'never', indexPolicy: () => false })
    expect(toHex(e.encode([[':path', '/sample/path']]))).toBe(wire)
    expect(e.tableLength).toBe(0)
  })
  it('C.2.3 literal never indexed', () => {
    const wire = '100870617373776f726406736563726574'
    const d = new Decoder()
    expect(d.decodeFields(fromHex(wire))).toEqual([['password', 'secret', true]])
    expect(d.tableLength).toBe(0)
    const e = new Encoder({ huffman: 'never', indexPolicy: () => true })
    expect(toHex(e.encode([['password', 'secret', true]]))).toBe(wire)
    expect(e.tableLength).toBe(0)
  })
  it('C.2.4 indexed field', () => {
    const d = new Decoder()
    expect(d.decode(fromHex('82'))).toEqual([[':method', 'GET']])
    expect(d.tableLength).toBe(0)
    expect(toHex(new Encoder().encode([[':method', 'GET']]))).toBe('82')
  })
})

const requests: Pair[][] = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
]
const requestTables: Pair[][] = [
  [[':authority', 'www.example.com']],
  [
    ['cache-control', 'no-cache'],
    [':authority', 'www.example.com'],
  ],
  [
    ['custom-key', 'custom-value'],
    ['cache-control', 'no-cache'],
    [':authority', 'www.example.com'],
  ],
]
const requestSizes = [57, 110, 164]

describe('C.3 requests without Huffman coding', () => {
  it('decodes and encodes the three requests', () => {
    const wires = [
      '828684410f7777772e6578616d706c652e636f6d',
      '828684be58086e6f2d6361636865',
      '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565',
    ]
    checkSeries(
      4096,
      'never',
      wires.map((wire, i) => ({
        wire,
        fields: requests[i]!,
        tableSize: requestSizes[i]!,
        table: requestTables[i]!,
      })),
    )
  })
})

describe('C.4 requests with Huffman coding', () => {
  it('decodes and encodes the three requests', () => {
    const wires = [
      '828684418cf1e3c2e5f23a6ba0ab90f4ff',
      '828684be5886a8eb10649cbf',
      '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf',
    ]
    checkSeries(
      4096,
      'always',
      wires.map((wire, i) => ({
        wire,
        fields: requests[i]!,
        tableSize: requestSizes[i]!,
        table: requestTables[i]!,
      })),
    )
  })
})

const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT'
const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT'
const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'
const location = 'https://www.example.com'
const responses: Pair[][] = [
  [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', date1],
    ['location', location],
  ],
  [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', date1],
    ['location', location],
  ],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', date2],
    ['location', location],
    ['content-encoding', 'gzip'],
    ['set-cookie', cookie],
  ],
]
const responseTables: Pair[][] = [
  [
    ['location', location],
    ['date', date1],
    ['cache-control', 'private'],
    [':status', '302'],
  ],
  [
    [':status', '307'],
    ['location', location],
    ['date', date1],
    ['cache-control', 'private'],
  ],
  [
    ['set-cookie', cookie],
    ['content-encoding', 'gzip'],
    ['date', date2],
  ],
]
const responseSizes = [222, 222, 215]

describe('C.5 responses without Huffman coding (table size 256, with evictions)', () => {
  it('decodes and encodes the three responses', () => {
    const wires = [
      '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
      '4803333037c1c0bf',
      '88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31',
    ]
    checkSeries(
      256,
      'never',
      wires.map((wire, i) => ({
        wire,
        fields: responses[i]!,
        tableSize: responseSizes[i]!,
        table: responseTables[i]!,
      })),
    )
  })
})

describe('C.6 responses with Huffman coding (table size 256, with evictions)', () => {
  it('decodes and encodes the three responses', () => {
    const wires = [
      '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
      '4883640effc1c0bf',
      '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
    ]
    checkSeries(
      256,
      'always',
      wires.map((wire, i) => ({
        wire,
        fields: responses[i]!,
        tableSize: responseSizes[i]!,
        table: responseTables[i]!,
      })),
    )
  })
})
