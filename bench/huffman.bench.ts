/**
 * Huffman benchmark (RFC 7541 §5.2, Appendix B): our encoder and decoder against the `hpack` npm package's
 * (`hpack/lib/huffman_codec.js`, the only npm HPACK with a standalone Huffman codec), and against a plain
 * copy of the same bytes as the speed-of-light reference, all measured in the same run.
 *
 *   pnpm bench --filter huffman        (or: npx tsx --conditions=@h2ts/source bench/huffman.bench.ts [--quick])
 *
 * The corpus is every header name and value of the hpack-test-case raw-data stories (the strings an
 * encoder Huffman-codes), encoded once up front for the decoders. Figures are the median of alternating
 * rounds; "h2ts ÷ this" is the per-round speed ratio's median.
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { huffmanDecode, huffmanEncode } from '@h2ts/hpack'
import { Bench } from 'tinybench'
import { hasSharedData, listShared, readSharedJson } from '../test/support/shared-data.js'
import { type BenchOptions, median } from './common.js'

const require = createRequire(import.meta.url)
const hpackHuffman = require('hpack/lib/huffman_codec.js') as {
  encode(s: string): Uint8Array
  decode(data: Uint8Array, offset: number, length: number): string
}

export interface HuffmanRow {
  name: string
  /** Input megabytes per second: raw string bytes for encoding, Huffman bytes for decoding. */
  mbPerSec: number
  rme: number
  /** h2ts's speed ÷ this one's (median over rounds); 1 for h2ts. */
  h2tsRatio: number
}

export interface HuffmanBenchResult {
  corpus: { strings: number; rawBytes: number; huffmanBytes: number }
  encode: HuffmanRow[]
  decode: HuffmanRow[]
}

export async function runHuffmanBench(opts: BenchOptions): Promise<HuffmanBenchResult> {
  const log = opts.log ?? console.log
  if (!hasSharedData('hpack-test-case'))
    throw new Error('the Huffman benchmark needs ../shared/hpack-test-case')
  const strings: string[] = []
  for (const file of listShared('hpack-test-case', 'raw-data').filter((f) => f.endsWith('.json'))) {
    const story = readSharedJson<{ cases: Array<{ headers: Array<Record<string, string>> }> }>(
      'hpack-test-case',
      'raw-data',
      file,
    )
    for (const c of story.cases)
      for (const h of c.headers) for (const [n, v] of Object.entries(h)) strings.push(n, v)
  }
  // Header text is ASCII here; latin1 keeps one byte per character for both codecs.
  const raw = strings.map((s) => Buffer.from(s, 'latin1'))
  const coded = raw.map((b) => huffmanEncode(b))
  const rawBytes = raw.reduce((n, b) => n + b.length, 0)
  const huffmanBytes = coded.reduce((n, b) => n + b.length, 0)

  // Both codecs must agree with each other before either is timed.
  for (let i = 0; i < strings.length; i++) {
    const theirs = hpackHuffman.encode(strings[i]!)
    if (Buffer.compare(Buffer.from(theirs), Buffer.from(coded[i]!)) !== 0)
      throw new Error(`Huffman encoders disagree on ${JSON.stringify(strings[i])}`)
    const back = Buffer.from(huffmanDecode(coded[i]!)).toString('latin1')
    if (back !== strings[i] || hpackHuffman.decode(coded[i]!, 0, coded[i]!.length) !== strings[i])
      throw new Error(`Huffman decoders disagree on ${JSON.stringify(strings[i])}`)
  }

  const copyTarget = new Uint8Array(Math.max(rawBytes, huffmanBytes))
  let sink = 0
  const copy = (list: Uint8Array[]) => () => {
    let p = 0
    for (const b of list) {
      copyTarget.set(b, p)
      p += b.length
    }
    sink ^= p
  }
  const encoders: Record<string, () => void> = {
    h2ts: () => {
      for (const b of raw) sink ^= huffmanEncode(b).length
    },
    hpack: () => {
      for (const s of strings) sink ^= hpackHuffman.encode(s).length
    },
    'plain copy': copy(raw),
  }
  const decoders: Record<string, () => void> = {
    h2ts: () => {
      for (const b of coded) sink ^= huffmanDecode(b).length
    },
    hpack: () => {
      for (const b of coded) sink ^= hpackHuffman.decode(b, 0, b.length).length
    },
    'plain copy': copy(coded),
  }

  const rounds = opts.quick ? 1 : 3
  const perRound: Record<string, Array<{ hz: number; rme: number }>> = {}
  for (let round = 0; round < rounds; round++) {
    log(`huffman: round ${round + 1}/${rounds}`)
    const bench = new Bench(
      opts.smoke
        ? { time: 1, iterations: 3, warmupTime: 1, warmupIterations: 1 }
        : { time: opts.quick ? 100 : 500, warmupTime: opts.quick ? 30 : 150 },
    )
    const order = (o: string[]) => (round % 2 === 0 ? o : [...o].reverse())
    for (const name of order(Object.keys(encoders))) bench.add(`encode ${name}`, encoders[name]!)
    for (const name of order(Object.keys(decoders))) bench.add(`decode ${name}`, decoders[name]!)
    await bench.run()
    for (const task of bench.tasks) {
      const r = task.result
      if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`)
      const list = perRound[task.name] ?? []
      perRound[task.name] = list
      list.push({ hz: 1000 / r.latency.p50, rme: r.latency.rme })
    }
  }
  if (sink === 0x7fffffff) log('')

  const rows = (kind: 'encode' | 'decode', bytes: number, names: string[]): HuffmanRow[] =>
    names.map((name) => {
      const runs = perRound[`${kind} ${name}`]!
      const ours = perRound[`${kind} h2ts`]!
      return {
        name,
        mbPerSec: (median(runs.map((r) => r.hz)) * bytes) / 1e6,
        rme: median(runs.map((r) => r.rme)),
        h2tsRatio: median(runs.map((r, i) => ours[i]!.hz / r.hz)),
      }
    })
  return {
    corpus: { strings: strings.length, rawBytes, huffmanBytes },
    encode: rows('encode', rawBytes, Object.keys(encoders)),
    decode: rows('decode', huffmanBytes, Object.keys(decoders)),
  }
}

export function formatHuffmanResult(r: HuffmanBenchResult): string {
  const lines = [
    `Corpus: ${r.corpus.strings.toLocaleString('en')} header names and values of the raw-data stories,` +
      ` ${r.corpus.rawBytes.toLocaleString('en')} bytes, ${r.corpus.huffmanBytes.toLocaleString('en')} Huffman-coded` +
      ` (${((r.corpus.huffmanBytes / r.corpus.rawBytes) * 100).toFixed(1)}%). MB/s of input.`,
    '',
    '| operation | implementation | MB/s | ±% | h2ts ÷ this |',
    '|---|---|---:|---:|---:|',
  ]
  for (const kind of ['encode', 'decode'] as const)
    for (const row of r[kind])
      lines.push(
        `| ${kind} | ${row.name} | ${row.mbPerSec.toFixed(1)} | ${row.rme.toFixed(1)} | ${row.h2tsRatio.toFixed(2)}× |`,
      )
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runHuffmanBench({ quick: process.argv.includes('--quick'), log: (s) => console.error(s) })
  console.log(formatHuffmanResult(r))
}
