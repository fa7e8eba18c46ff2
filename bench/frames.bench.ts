/**
 * Frame codec benchmark: decoding and encoding a realistic mix of frames, against a plain `Uint8Array.set`
 * copy of the same bytes as the speed-of-light reference (measured in the same run).
 *
 *   cd bench && npx tsx --conditions=@h2ts/source frames.bench.ts [--quick]
 *
 * The mix, per stream: a HEADERS frame (60-octet fragment), a 200-octet DATA frame, a stream and a connection
 * WINDOW_UPDATE; every fourth stream also carries a 16 KiB DATA frame. Decoding feeds the bytes in 64 KiB
 * chunks (a typical socket read), so some frames straddle chunks as they would on a socket.
 */
import { fileURLToPath } from 'node:url'
import {
  encodeDataFrameHeader,
  encodedLength,
  encodeFrameInto,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  isFrameError,
  isKnownFrame,
} from '@h2ts/frames'
import { Bench } from 'tinybench'

export interface FramesBenchRow {
  name: string
  framesPerSec: number
  mbPerSec: number
  /** Relative margin of error of the latency, in percent. */
  rme: number
  /** This task's time divided by the copy's time for the same bytes (1 = as fast as a memcpy). */
  timesCopy: number
}

export interface FramesBenchResult {
  mix: { frames: number; bytes: number; dataFrames: number; largeDataFrames: number }
  copy: FramesBenchRow
  decode: FramesBenchRow
  encode: FramesBenchRow
  encodeHeadersOnly: FramesBenchRow
}

function buildMix(streams: number): Frame[] {
  const frames: Frame[] = []
  const fragment = new Uint8Array(60).map((_, i) => i)
  const small = new Uint8Array(200).fill(0x61)
  const large = new Uint8Array(16_384).fill(0x62)
  for (let i = 0; i < streams; i++) {
    const streamId = 2 * i + 1
    frames.push({ type: FrameType.HEADERS, flags: Flags.END_HEADERS, streamId, fragment })
    frames.push({ type: FrameType.DATA, flags: 0, streamId, data: small })
    if (i % 4 === 0) frames.push({ type: FrameType.DATA, flags: 0, streamId, data: large })
    frames.push({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, increment: 16_584 })
    frames.push({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, increment: 16_584 })
  }
  return frames
}

export async function runFramesBench(opts: { quick: boolean }): Promise<FramesBenchResult> {
  const frames = buildMix(256)
  let size = 0
  for (const f of frames) size += encodedLength(f)
  const wire = new Uint8Array(size)
  let o = 0
  for (const f of frames) o = encodeFrameInto(f, wire, o)
  const chunks: Uint8Array[] = []
  for (let i = 0; i < wire.length; i += 65_536) chunks.push(wire.subarray(i, i + 65_536))
  const dataFrames = frames.filter((f) => f.type === FrameType.DATA).length
  const largeDataFrames = frames.filter(
    (f) => isKnownFrame(f) && f.type === FrameType.DATA && f.data.length === 16_384,
  ).length

  // Check once, outside the timed loops, that decoding gives back every frame.
  {
    const d = new FrameDecoder()
    let n = 0
    for (const c of chunks) for (const item of d.push(c)) if (!isFrameError(item)) n++
    if (n !== frames.length) throw new Error(`decoded ${n} frames, expected ${frames.length}`)
  }

  const target = new Uint8Array(size)
  const headerScratch = new Uint8Array(9 * frames.length)
  let sink = 0
  const tasks: Record<string, () => void> = {
    copy: () => {
      target.set(wire)
      sink ^= target[size - 1]!
    },
    decode: () => {
      const d = new FrameDecoder()
      for (const c of chunks) for (const item of d.push(c)) sink ^= isFrameError(item) ? 1 : item.flags
    },
    encode: () => {
      let p = 0
      for (const f of frames) p = encodeFrameInto(f, target, p)
      sink ^= p
    },
    // What a connection writes: 9-octet DATA headers into a scratch buffer, DATA payloads by reference,
    // other frames encoded whole.
    'encode (DATA by reference)': () => {
      let headers = 0
      let control = 0
      for (const f of frames) {
        if (isKnownFrame(f) && f.type === FrameType.DATA) {
          headers = encodeDataFrameHeader(headerScratch, headers, f.streamId, f.data.length, false)
        } else {
          control = encodeFrameInto(f, target, control)
        }
      }
      sink ^= headers ^ control
    },
  }

  const bench = new Bench({ time: opts.quick ? 200 : 1000, warmupTime: opts.quick ? 50 : 200 })
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn)
  await bench.run()
  if (sink === 0x7fffffff) console.log('')

  const periods = new Map<string, { period: number; rme: number }>()
  for (const task of bench.tasks) {
    const r = task.result
    if (r.state !== 'completed') throw new Error(`task ${task.name}: ${r.state}`)
    periods.set(task.name, { period: r.period, rme: r.latency.rme })
  }
  const copyPeriod = periods.get('copy')!.period
  const row = (name: string): FramesBenchRow => {
    const { period, rme } = periods.get(name)!
    const perSec = 1000 / period
    return {
      name,
      framesPerSec: perSec * frames.length,
      mbPerSec: (perSec * size) / 1e6,
      rme,
      timesCopy: period / copyPeriod,
    }
  }
  return {
    mix: { frames: frames.length, bytes: size, dataFrames, largeDataFrames },
    copy: row('copy'),
    decode: row('decode'),
    encode: row('encode'),
    encodeHeadersOnly: row('encode (DATA by reference)'),
  }
}

export function formatFramesResult(r: FramesBenchResult): string {
  const lines = [
    `Mix: ${r.mix.frames} frames, ${r.mix.bytes.toLocaleString('en')} octets ` +
      `(${r.mix.dataFrames} DATA, ${r.mix.largeDataFrames} of them 16 KiB), decoded from 64 KiB chunks.`,
    '',
    '| task | frames/s | MB/s | ±% | time ÷ copy time |',
    '|---|---:|---:|---:|---:|',
  ]
  for (const row of [r.copy, r.decode, r.encode, r.encodeHeadersOnly]) {
    lines.push(
      `| ${row.name} | ${Math.round(row.framesPerSec).toLocaleString('en')} | ${row.mbPerSec.toFixed(0)} | ` +
        `${row.rme.toFixed(1)} | ${row.timesCopy.toFixed(2)}× |`,
    )
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runFramesBench({ quick: process.argv.includes('--quick') })
  console.log(formatFramesResult(result))
}
