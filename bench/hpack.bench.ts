/**
 * HPACK benchmark: our decoder and encoder against hpack.js and hpack (npm), over the hpack-test-case
 * stories, plus our compressed size against nghttp2's on the same headers.
 *
 *   pnpm bench --filter hpack          (or: cd bench && npx tsx --conditions=@h2ts/source hpack.bench.ts)
 *
 * Decoding replays the nghttp2 folder's wire blocks (3,384 blocks, 32 stories, one decoder per story);
 * encoding encodes the raw-data stories (the same headers). Each figure is the median of alternating
 * rounds, with the ratio to the peer measured in the same round.
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Decoder, Encoder, type HeaderField } from '@h2ts/hpack'
import { Bench } from 'tinybench'
import { fromHex, hasSharedData, listShared, readSharedJson } from '../test/support/shared-data.js'
import { type BenchOptions, median } from './common.js'

interface StoryCase {
  wire?: string
  headers: Array<Record<string, string>>
  header_table_size?: number | null
}
type Fields = Array<[string, string]>

const require = createRequire(import.meta.url)

interface HpackJsDecompressor {
  write(b: Uint8Array): void
  execute(): void
  read(): { name: string; value: string } | null
}
interface HpackJsCompressor {
  write(headers: Array<{ name: string; value: string }>): void
  read(): Uint8Array | null
}
const hpackJs = require('hpack.js') as {
  decompressor: { create(o: { table: { maxSize: number } }): HpackJsDecompressor }
  compressor: { create(o: { table: { maxSize: number } }): HpackJsCompressor }
}
const HpackNpm = require('hpack') as new () => {
  encode(h: Fields): Uint8Array
  decode(b: Uint8Array): Fields
}

export interface HpackBenchResult {
  corpus: { stories: number; blocks: number; wireBytes: number; rawBytes: number; fields: number }
  decode: Array<{ name: string; blocksPerSec: number; mbPerSec: number; rme: number }>
  encode: Array<{ name: string; blocksPerSec: number; mbPerSec: number; rme: number }>
  decodeRatios: Record<string, number>
  encodeRatios: Record<string, number>
  compression: Record<string, { bytes: number; ofRaw: number }>
}

function loadFolder(folder: string): Array<{ blocks: Uint8Array[]; fields: Fields[] }> {
  return listShared('hpack-test-case', folder)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const story = readSharedJson<{ cases: StoryCase[] }>('hpack-test-case', folder, file)
      return {
        blocks: story.cases.map((c) => (c.wire === undefined ? new Uint8Array(0) : fromHex(c.wire))),
        fields: story.cases.map((c) => c.headers.map((h) => Object.entries(h)[0] as [string, string])),
      }
    })
}

export async function runHpackBench(opts: BenchOptions): Promise<HpackBenchResult> {
  const log = opts.log ?? console.log
  if (!hasSharedData('hpack-test-case'))
    throw new Error('the HPACK benchmark needs ../shared/hpack-test-case')
  const wireStories = loadFolder('nghttp2')
  const rawStories = loadFolder('raw-data')
  let blocks = 0
  let wireBytes = 0
  let rawBytes = 0
  let fieldCount = 0
  for (const s of wireStories) {
    blocks += s.blocks.length
    for (const b of s.blocks) wireBytes += b.length
  }
  for (const s of rawStories) {
    for (const f of s.fields) {
      fieldCount += f.length
      for (const [n, v] of f) rawBytes += n.length + v.length
    }
  }

  // The peers are Node libraries that want Buffers; convert once, outside the timed loops.
  const peerStories = wireStories.map((s) => s.blocks.map((b) => Buffer.from(b)))

  // The same peer sanity check the tests make, so a broken peer cannot look fast.
  const check = new Decoder().decode(wireStories[0]!.blocks[0]!)
  if (JSON.stringify(check) !== JSON.stringify(wireStories[0]!.fields[0]))
    throw new Error('decoder disagrees')

  const decoders: Record<string, () => void> = {
    h2ts: () => {
      for (const s of wireStories) {
        const d = new Decoder()
        for (const b of s.blocks) d.decode(b)
      }
    },
    'hpack.js': () => {
      for (const s of peerStories) {
        const d = hpackJs.decompressor.create({ table: { maxSize: 4096 } })
        for (const b of s) {
          d.write(b)
          d.execute()
          while (d.read() !== null) {}
        }
      }
    },
    hpack: () => {
      for (const s of peerStories) {
        const d = new HpackNpm()
        for (const b of s) d.decode(b)
      }
    },
  }
  const encoders: Record<string, () => void> = {
    h2ts: () => {
      for (const s of rawStories) {
        const e = new Encoder()
        for (const f of s.fields) e.encode(f as HeaderField[])
      }
    },
    'hpack.js': () => {
      for (const s of rawStories) {
        const e = hpackJs.compressor.create({ table: { maxSize: 4096 } })
        for (const f of s.fields) {
          e.write(f.map(([name, value]) => ({ name, value })))
          while (e.read() !== null) {}
        }
      }
    },
    hpack: () => {
      for (const s of rawStories) {
        const e = new HpackNpm()
        for (const f of s.fields) e.encode(f)
      }
    },
  }

  // Compressed size of the raw-data headers: ours and the peers', against nghttp2's wire bytes.
  const compression: HpackBenchResult['compression'] = {}
  const size = (name: string, bytes: number) => {
    compression[name] = { bytes, ofRaw: bytes / rawBytes }
  }
  {
    let ours = 0
    let js = 0
    let npm = 0
    for (const s of rawStories) {
      const e = new Encoder()
      const j = hpackJs.compressor.create({ table: { maxSize: 4096 } })
      const n = new HpackNpm()
      for (const f of s.fields) {
        ours += e.encode(f as HeaderField[]).length
        j.write(f.map(([name, value]) => ({ name, value })))
        for (let c = j.read(); c !== null; c = j.read()) js += c.length
        npm += n.encode(f).length
      }
    }
    size('h2ts', ours)
    size('nghttp2 (wire of the nghttp2 folder)', wireBytes)
    size('hpack (npm)', npm)
    size('hpack.js', js)
  }

  const rounds = opts.quick ? 1 : 3
  const time = opts.quick ? 150 : 700
  const perRound: Record<string, Array<{ hz: number; rme: number }>> = {}
  for (let round = 0; round < rounds; round++) {
    log(`hpack: round ${round + 1}/${rounds}`)
    const bench = new Bench(
      opts.smoke
        ? { time: 1, iterations: 3, warmupTime: 1, warmupIterations: 1 }
        : { time, warmupTime: opts.quick ? 50 : 200 },
    )
    // Alternate the order between rounds so drift (thermal, GC, the other core) does not favour one side.
    const order = (o: string[]) => (round % 2 === 0 ? o : [...o].reverse())
    for (const name of order(Object.keys(decoders))) bench.add(`decode ${name}`, decoders[name]!)
    for (const name of order(Object.keys(encoders))) bench.add(`encode ${name}`, encoders[name]!)
    await bench.run()
    for (const task of bench.tasks) {
      const r = task.result
      if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`)
      const list = perRound[task.name] ?? []
      perRound[task.name] = list
      list.push({ hz: 1000 / r.latency.p50, rme: r.latency.rme })
    }
  }

  const summarize = (kind: 'decode' | 'encode', bytes: number) =>
    Object.keys(kind === 'decode' ? decoders : encoders).map((name) => {
      const runs = perRound[`${kind} ${name}`]!
      const hz = median(runs.map((r) => r.hz))
      return {
        name,
        blocksPerSec: hz * blocks,
        mbPerSec: (hz * bytes) / 1e6,
        rme: median(runs.map((r) => r.rme)),
      }
    })
  const ratios = (kind: 'decode' | 'encode') => {
    const out: Record<string, number> = {}
    for (const peer of ['hpack.js', 'hpack']) {
      const r: number[] = []
      for (let i = 0; i < rounds; i++)
        r.push(perRound[`${kind} h2ts`]![i]!.hz / perRound[`${kind} ${peer}`]![i]!.hz)
      out[peer] = median(r)
    }
    return out
  }
  return {
    corpus: { stories: wireStories.length, blocks, wireBytes, rawBytes, fields: fieldCount },
    decode: summarize('decode', wireBytes),
    encode: summarize('encode', rawBytes),
    decodeRatios: ratios('decode'),
    encodeRatios: ratios('encode'),
    compression,
  }
}

export function formatHpackResult(r: HpackBenchResult): string {
  const lines: string[] = []
  lines.push(
    `Corpus: ${r.corpus.stories} stories, ${r.corpus.blocks} header blocks, ${r.corpus.fields} fields, ` +
      `${r.corpus.rawBytes} raw name+value bytes (encode), ${r.corpus.wireBytes} wire bytes (decode).`,
    '',
    '| operation | implementation | blocks/s | MB/s | ±% | h2ts ÷ this |',
    '|---|---|---:|---:|---:|---:|',
  )
  for (const kind of ['decode', 'encode'] as const) {
    const ratios = kind === 'decode' ? r.decodeRatios : r.encodeRatios
    for (const row of r[kind]) {
      const ratio = row.name === 'h2ts' ? '1.00' : (ratios[row.name]?.toFixed(2) ?? '')
      lines.push(
        `| ${kind} | ${row.name} | ${Math.round(row.blocksPerSec).toLocaleString('en')} | ${row.mbPerSec.toFixed(1)} | ${row.rme.toFixed(1)} | ${ratio}× |`,
      )
    }
  }
  lines.push(
    '',
    '| encoder (raw-data stories, table 4096) | bytes | share of raw name+value |',
    '|---|---:|---:|',
  )
  for (const [name, c] of Object.entries(r.compression)) {
    lines.push(`| ${name} | ${c.bytes.toLocaleString('en')} | ${(c.ofRaw * 100).toFixed(1)}% |`)
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  const result = await runHpackBench({ quick })
  console.log(formatHpackResult(result))
}
