// The public HPACK stories of ../shared/hpack-test-case (see its NOTES.md): every wire block of every folder
// decodes to exactly the listed fields; the raw-data stories, encoded by our encoder, decode back exactly
// with our decoder and with hpack.js, an independent implementation.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import {
  fromHex,
  hasSharedData,
  listShared,
  listSharedDirs,
  readSharedJson,
} from '../../../test/support/shared-data.js'
import { Decoder, Encoder, type HeaderField } from '../src/index.js'

const DATA = 'hpack-test-case'

interface StoryCase {
  seqno: number
  header_table_size?: number | null
  wire?: string
  headers: Array<Record<string, string>>
}
interface Story {
  cases: StoryCase[]
}

const present = hasSharedData(DATA)
const folders = present ? listSharedDirs(DATA).filter((f) => f !== 'raw-data') : []
const stories = (folder: string) => listShared(DATA, folder).filter((f) => f.endsWith('.json'))
const pairs = (c: StoryCase): Array<[string, string]> =>
  c.headers.map((h) => {
    const [name, value] = Object.entries(h)[0]!
    return [name, value]
  })

describe.skipIf(!present)('hpack-test-case stories', () => {
  it('has the seven folders NOTES.md lists', () => {
    expect([...folders, 'raw-data'].sort()).toHaveLength(7)
  })

  for (const folder of folders) {
    it(`${folder}: every case decodes to its headers`, () => {
      let cases = 0
      for (const file of stories(folder)) {
        const story = readSharedJson<Story>(DATA, folder, file)
        const decoder = new Decoder() // one per story: the table carries across its cases only
        for (const c of story.cases) {
          // A number is the SETTINGS value acknowledged before this case; null means none (NOTES.md).
          if (typeof c.header_table_size === 'number') decoder.setMaxTableSize(c.header_table_size)
          expect(decoder.decode(fromHex(c.wire!)), `${folder}/${file} case ${c.seqno}`).toEqual(pairs(c))
          cases++
        }
      }
      expect(cases).toBeGreaterThan(3000)
    })
  }

  it('raw-data: our encoding decodes back exactly, with our decoder and with hpack.js', () => {
    const require = createRequire(import.meta.url)
    const hpackJs = require('hpack.js') as {
      decompressor: {
        create(o: { table: { maxSize: number } }): {
          write(b: Uint8Array): void
          execute(): void
          read(): { name: string; value: string } | null
        }
      }
    }
    let rawBytes = 0
    let encodedBytes = 0
    for (const file of stories('raw-data')) {
      const story = readSharedJson<Story>(DATA, 'raw-data', file)
      const encoder = new Encoder()
      const decoder = new Decoder()
      const peer = hpackJs.decompressor.create({ table: { maxSize: 4096 } })
      for (const c of story.cases) {
        const fields = pairs(c)
        const block = encoder.encode(fields as HeaderField[])
        for (const [n, v] of fields) rawBytes += n.length + v.length
        encodedBytes += block.length
        expect(decoder.decode(block), `${file} case ${c.seqno}`).toEqual(fields)
        peer.write(block)
        peer.execute()
        const fromPeer: Array<[string, string]> = []
        for (let h = peer.read(); h !== null; h = peer.read()) fromPeer.push([h.name, h.value])
        expect(fromPeer, `hpack.js, ${file} case ${c.seqno}`).toEqual(fields)
      }
    }
    // Not a benchmark, a floor: far worse than nghttp2's 31.0% would mean indexing broke.
    const ratio = encodedBytes / rawBytes
    console.log(
      `raw-data: ${rawBytes} raw name+value bytes -> ${encodedBytes} encoded (${(ratio * 100).toFixed(1)}%)`,
    )
    expect(ratio).toBeLessThan(0.35)
  })
})
