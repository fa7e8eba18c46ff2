/**
 * The abuse-test kit: the server under test in a child process (test/abuse/server.ts), an attacker on a raw
 * socket that builds frames with @h2ts/frames and @h2ts/hpack, and an honest node:http2 client that keeps
 * making requests while the attack runs.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import * as http2 from 'node:http2'
import * as net from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  clientPreface,
  type DecodedItem,
  encodeFrame,
  errorCodeName,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  type GoAwayFrame,
  isFrameError,
  type Setting,
} from '@h2ts/frames'
import { Decoder, Encoder, type HeaderField } from '@h2ts/hpack'
import type { ServerOptions } from '@h2ts/streams/node'
import type { Stats } from './server.js'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(here, '..', '..')
export const MiB = 1 << 20

// -----------------------------------------------------------------------------------------------------
// The server

export interface ServerUnderTest {
  port: number
  stats(): Promise<Stats>
  /** Starts the peaks (RSS, running handlers, stream table) and the reasons again; returns the stats. */
  reset(): Promise<Stats>
  stop(): Promise<void>
}

export async function startServer(options: ServerOptions = {}): Promise<ServerUnderTest> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@h2ts/source',
      join(here, 'server.ts'),
      '--options',
      JSON.stringify(options),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  )
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on (\d+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code}): ${stderr}`))
    })
  })
  const ask = (type: string) =>
    new Promise<Stats>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`server died: ${stderr}`))
      const onExit = () => reject(new Error(`server died: ${stderr}`))
      child.once('exit', onExit)
      child.once('message', (m) => {
        child.off('exit', onExit)
        resolve(m as Stats)
      })
      child.send({ type })
    })
  return {
    port,
    stats: () => ask('stats'),
    reset: () => ask('reset'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

// -----------------------------------------------------------------------------------------------------
// The honest client

export interface HonestResult {
  ok: number
  failed: string[]
}

/**
 * A node:http2 client on its own connection making GET / requests, `parallel` at a time, until `stop()`;
 * then one last request, which must succeed too.
 */
/**
 * Runs `flood` from an attacker on a raw socket while an honest client makes requests beside it; waits (3 s
 * at most) for the server's answer (GOAWAY or a closed connection), and returns the attacker, what the
 * flood reported, the server's stats before and after (and the RSS growth), and what the honest client got.
 */
export async function attackBeside<T>(
  server: ServerUnderTest,
  flood: (a: Attacker) => Promise<T>,
  options: AttackOptions = {},
): Promise<{ a: Attacker; run: T; before: Stats; after: Stats; growth: number; served: HonestResult }> {
  const before = await server.reset()
  const honest = honestClient(server.port)
  const a = await Attacker.connect(server.port, options)
  const run = await flood(a)
  await a.waitFor(() => a.done, 3000)
  const after = await server.stats()
  const served = await honest.stop()
  a.close()
  return { a, run, before, after, growth: after.peakRss - before.rss, served }
}

export function honestClient(port: number, parallel = 2): { stop(): Promise<HonestResult> } {
  const session = http2.connect(`http://127.0.0.1:${port}`)
  session.on('error', () => {})
  const result: HonestResult = { ok: 0, failed: [] }
  let running = true
  const one = () =>
    new Promise<void>((resolve) => {
      const req = session.request({ ':path': '/' })
      let body = ''
      let status = 0
      const timer = setTimeout(() => {
        result.failed.push('timeout')
        req.close()
        resolve()
      }, 5000)
      req.on('response', (h) => {
        status = Number(h[':status'])
      })
      req.setEncoding('utf8')
      req.on('data', (d: string) => {
        body += d
      })
      req.on('end', () => {
        clearTimeout(timer)
        if (status === 200 && body === 'hello') result.ok++
        else result.failed.push(`status ${status} body ${body}`)
        resolve()
      })
      req.on('error', (e) => {
        clearTimeout(timer)
        result.failed.push(String(e))
        resolve()
      })
      req.end()
    })
  const loops = Array.from({ length: parallel }, async () => {
    while (running) await one()
  })
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      await one()
      session.close()
      return result
    },
  }
}

// -----------------------------------------------------------------------------------------------------
// The attacker

export const request = (path: string, extra: HeaderField[] = []): HeaderField[] => [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':authority', 'localhost'],
  [':path', path],
  ...extra,
]

export const frame = (f: Frame): Uint8Array => encodeFrame(f)

export const headersFrame = (
  streamId: number,
  block: Uint8Array,
  flags: number = Flags.END_HEADERS,
): Uint8Array => encodeFrame({ type: FrameType.HEADERS, flags, streamId, fragment: block })

export const rst = (streamId: number, code = 0x8): Uint8Array =>
  encodeFrame({ type: FrameType.RST_STREAM, flags: 0, streamId, errorCode: code })

export const windowUpdate = (streamId: number, increment: number): Uint8Array =>
  encodeFrame({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, increment })

export const ping = (n: number): Uint8Array => {
  const data = new Uint8Array(8)
  new DataView(data.buffer).setUint32(4, n)
  return encodeFrame({ type: FrameType.PING, flags: 0, streamId: 0, data })
}

export const dataFrame = (streamId: number, bytes: Uint8Array, flags: number = 0): Uint8Array =>
  encodeFrame({ type: FrameType.DATA, flags, streamId, data: bytes })

function concat(chunks: readonly Uint8Array[]): Buffer {
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)))
}

export interface AttackOptions {
  /** Our SETTINGS (default: none). */
  settings?: Setting[]
  /** Do not read at all (the socket is paused from the start). */
  noRead?: boolean
}

/** A raw-socket HTTP/2 client that sends whatever it is told and records what comes back. */
export class Attacker {
  readonly socket: net.Socket
  readonly hpack = new Encoder()

  /** HEADERS (END_STREAM) for `count` GET requests of `path` on streams 1, 3, 5, … */
  requests(count: number, path: string): Uint8Array[] {
    const frames: Uint8Array[] = []
    for (let i = 0; i < count; i++) {
      frames.push(
        headersFrame(2 * i + 1, this.hpack.encode(request(path)), Flags.END_HEADERS | Flags.END_STREAM),
      )
    }
    return frames
  }
  readonly received: Frame[] = []
  /** Response header sections by stream (HEADERS frames decoded in order, as HPACK requires). */
  readonly responses = new Map<number, HeaderField[]>()
  readonly #hpackIn = new Decoder({ maxHeaderListSize: 1 << 20 })
  goAway: GoAwayFrame | undefined
  /** Units (requests, frames…) the flood had sent when the GOAWAY arrived. */
  sentAtGoAway: number | undefined
  closed = false
  sent = 0
  readonly #decoder = new FrameDecoder({ preface: 'server', maxFrameSize: 16384 })
  #waiters: Array<() => void> = []

  private constructor(socket: net.Socket) {
    this.socket = socket
  }

  static async connect(port: number, options: AttackOptions = {}): Promise<Attacker> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    socket.setNoDelay(true)
    const a = new Attacker(socket)
    socket.on('error', () => {})
    socket.on('close', () => {
      a.closed = true
      a.#wake()
    })
    if (options.noRead === true) socket.pause()
    else socket.on('data', (d: Buffer) => a.#onData(d))
    socket.write(
      concat([
        clientPreface(),
        encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: options.settings ?? [] }),
      ]),
    )
    // The server's SETTINGS (and our ACK) first, so that the ACK cannot land inside a header block later.
    if (options.noRead !== true)
      await a.waitFor(() => a.received.some((f) => f.type === FrameType.SETTINGS), 5000)
    return a
  }

  #onData(d: Buffer): void {
    let items: DecodedItem[]
    try {
      items = [...this.#decoder.push(d)]
    } catch {
      return
    }
    for (const item of items) {
      if (isFrameError(item)) continue
      this.received.push(item)
      if (item.type === FrameType.SETTINGS && (item.flags & Flags.ACK) === 0) {
        this.socket.write(
          concat([encodeFrame({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] })]),
        )
      }
      if (item.type === FrameType.HEADERS && item.flags & Flags.END_HEADERS) {
        const fields = this.#hpackIn.decodeFields((item as { fragment: Uint8Array }).fragment)
        if (!this.responses.has(item.streamId)) this.responses.set(item.streamId, fields)
      }
      if (item.type === FrameType.GOAWAY && this.goAway === undefined) {
        this.goAway = item as GoAwayFrame
        this.sentAtGoAway = this.sent
      }
    }
    this.#wake()
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /** Resolves when something arrives or the socket closes (or after `ms`). */
  waitForInput(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  async waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (!predicate()) {
      const left = deadline - Date.now()
      if (left <= 0 || this.closed) return predicate()
      await this.waitForInput(Math.min(left, 50))
    }
    return true
  }

  get done(): boolean {
    return this.closed || this.goAway !== undefined
  }

  /** Writes bytes; resolves once the socket can take more. */
  write(bytes: Uint8Array | Uint8Array[]): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve()
    const buf = Array.isArray(bytes)
      ? concat(bytes)
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (this.socket.write(buf)) return Promise.resolve()
    return new Promise((resolve) => {
      const go = () => {
        this.socket.off('drain', go)
        this.socket.off('close', go)
        resolve()
      }
      this.socket.once('drain', go)
      this.socket.once('close', go)
    })
  }

  /**
   * The flood: `batch(i, n)` makes the bytes of units i..i+n-1, written as fast as the socket takes them,
   * until the GOAWAY or the close, `maxUnits`, or `maxMs`. Every `syncEvery` units a PING round trip lets
   * the answer arrive, so `sentAtGoAway` is exact to within that many units.
   */
  async flood(opts: {
    batch: (first: number, n: number) => Uint8Array[]
    maxUnits: number
    maxMs: number
    batchSize?: number
    syncEvery?: number
    /** Instead of PING round trips (not allowed inside a header block): wait this long for an answer. */
    pauseMs?: number
  }): Promise<{ units: number; ms: number }> {
    const size = opts.batchSize ?? 50
    const syncEvery = opts.pauseMs !== undefined ? Number.MAX_SAFE_INTEGER : (opts.syncEvery ?? size)
    const start = Date.now()
    let sinceSync = 0
    let pings = 0
    while (!this.done && this.sent < opts.maxUnits && Date.now() - start < opts.maxMs) {
      const n = Math.min(size, opts.maxUnits - this.sent)
      const chunks = opts.batch(this.sent, n)
      sinceSync += n
      const sync = sinceSync >= syncEvery
      if (sync) chunks.push(ping(++pings))
      await this.write(chunks)
      this.sent += n
      if (opts.pauseMs !== undefined) await this.waitForInput(opts.pauseMs)
      if (sync) {
        sinceSync = 0
        const want = pings
        await this.waitFor(() => this.pingAcks() >= want || this.done, 2000)
      }
    }
    return { units: this.sent, ms: Date.now() - start }
  }

  pingAcks(): number {
    let n = 0
    for (const f of this.received) if (f.type === FrameType.PING && f.flags & Flags.ACK) n++
    return n
  }

  describeGoAway(): string {
    const g = this.goAway
    if (g === undefined) return this.closed ? 'closed without GOAWAY' : 'no GOAWAY'
    return `GOAWAY(${errorCodeName(g.errorCode)}, ${new TextDecoder().decode(g.debugData)})`
  }

  close(): void {
    this.socket.destroy()
  }
}

/** A line for the report: what the attack was, when we answered, what memory did. */
export function report(name: string, fields: Record<string, string | number>): void {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${v}`)
  console.log(`[abuse] ${name}: ${parts.join(' ')}`)
}

export const mib = (bytes: number): string => (bytes / MiB).toFixed(1)
