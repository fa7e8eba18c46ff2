/**
 * A fuzz harness for the sans-IO engine: random and mutated frame sequences, seeded from valid sessions,
 * fed to a `Connection` (server or client role) in random chunks, with a make-believe application that
 * answers requests, reads bodies, resets streams and pulls output at random moments.
 *
 * A session fails if `receive`, `tick` or `pullOutbound` throw; if a command throws anything but a
 * UsageError; if a connection error is not a ConnectionError with a code; if the engine writes bytes that
 * do not decode as frames and header blocks; if its stream table passes the concurrency limit; or if what
 * it queues passes the control-frame bound. Everything is drawn from one seeded generator: a failing seed
 * reproduces exactly.
 */
import {
  clientPreface,
  encodeFrame,
  Flags,
  FrameDecoder,
  FrameType,
  isFrameError,
  SettingId,
} from '@h2ts/frames'
import { Decoder, Encoder, type HeaderField } from '@h2ts/hpack'
import {
  Connection,
  type ConnectionEvent,
  DEFAULT_LIMITS,
  isConnectionError,
  isUsageError,
  type Role,
} from '@h2ts/streams'
import { concat } from '../support/bytes.js'

/** mulberry32: small, fast, good enough to pick mutations, and reproducible from a 32-bit seed. */
export class Random {
  #s: number
  constructor(seed: number) {
    this.#s = seed >>> 0
  }
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0
    let t = this.#s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}

// -----------------------------------------------------------------------------------------------------
// Seeds: valid sessions, as lists of frames (each a Uint8Array)

const req = (method: string, path: string, extra: HeaderField[] = []): HeaderField[] => [
  [':method', method],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', path],
  ...extra,
]

const f = {
  settings: (entries: Array<[number, number]> = []) =>
    encodeFrame({
      type: FrameType.SETTINGS,
      flags: 0,
      streamId: 0,
      settings: entries.map(([id, value]) => ({ id, value })),
    }),
  settingsAck: () => encodeFrame({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] }),
  headers: (streamId: number, block: Uint8Array, flags: number) =>
    encodeFrame({ type: FrameType.HEADERS, flags, streamId, fragment: block }),
  continuation: (streamId: number, block: Uint8Array, flags: number) =>
    encodeFrame({ type: FrameType.CONTINUATION, flags, streamId, fragment: block }),
  data: (streamId: number, bytes: Uint8Array, flags = 0) =>
    encodeFrame({ type: FrameType.DATA, flags, streamId, data: bytes }),
  ping: (ack = false) =>
    encodeFrame({ type: FrameType.PING, flags: ack ? Flags.ACK : 0, streamId: 0, data: new Uint8Array(8) }),
  rst: (streamId: number, code: number) =>
    encodeFrame({ type: FrameType.RST_STREAM, flags: 0, streamId, errorCode: code }),
  windowUpdate: (streamId: number, increment: number) =>
    encodeFrame({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, increment }),
  priority: (streamId: number, dependency: number, weight: number, exclusive: boolean) =>
    encodeFrame({
      type: FrameType.PRIORITY,
      flags: 0,
      streamId,
      priority: { dependency, weight, exclusive },
    }),
  goAway: (last: number, code: number) =>
    encodeFrame({
      type: FrameType.GOAWAY,
      flags: 0,
      streamId: 0,
      lastStreamId: last,
      errorCode: code,
      debugData: new Uint8Array(0),
    }),
}

/** Frames a client sends to a server: a few valid sessions, chosen and varied by `rnd`. */
function serverSeed(rnd: Random): Uint8Array[] {
  const hpack = new Encoder()
  const out: Uint8Array[] = [
    clientPreface(),
    f.settings(rnd.chance(0.3) ? [[SettingId.INITIAL_WINDOW_SIZE, rnd.int(70000)]] : []),
    f.settingsAck(),
  ]
  const streams = 1 + rnd.int(6)
  for (let s = 0; s < streams; s++) {
    const id = 2 * s + 1
    const kind = rnd.int(6)
    if (kind === 0) {
      out.push(f.headers(id, hpack.encode(req('GET', `/${s}`)), Flags.END_HEADERS | Flags.END_STREAM))
    } else if (kind === 1) {
      const body = rnd.bytes(rnd.int(3000))
      out.push(
        f.headers(
          id,
          hpack.encode(req('POST', '/upload', [['content-length', String(body.length)]])),
          Flags.END_HEADERS,
        ),
      )
      out.push(
        f.data(id, body.subarray(0, body.length >> 1)),
        f.data(id, body.subarray(body.length >> 1), Flags.END_STREAM),
      )
    } else if (kind === 2) {
      // A header block split over CONTINUATION frames, then trailers.
      const block = hpack.encode(req('PUT', '/c', [['x-long', 'v'.repeat(rnd.int(200))]]))
      const cut = rnd.int(block.length + 1)
      out.push(
        f.headers(id, block.subarray(0, cut), 0),
        f.continuation(id, block.subarray(cut), Flags.END_HEADERS),
      )
      out.push(f.data(id, rnd.bytes(10)))
      out.push(f.headers(id, hpack.encode([['x-trailer', 'yes']]), Flags.END_HEADERS | Flags.END_STREAM))
    } else if (kind === 3) {
      out.push(f.headers(id, hpack.encode(req('GET', '/r')), Flags.END_HEADERS), f.rst(id, 8))
    } else if (kind === 4) {
      out.push(f.priority(id, rnd.int(10), 1 + rnd.int(256), rnd.chance(0.5)))
      out.push(f.headers(id, hpack.encode(req('GET', '/p')), Flags.END_HEADERS | Flags.END_STREAM))
      out.push(f.windowUpdate(id, 1 + rnd.int(100000)))
    } else {
      out.push(f.headers(id, hpack.encode(req('POST', '/w')), Flags.END_HEADERS))
      out.push(
        f.data(id, rnd.bytes(rnd.int(100))),
        f.windowUpdate(0, 1 + rnd.int(1000)),
        f.data(id, new Uint8Array(0), Flags.END_STREAM),
      )
    }
    if (rnd.chance(0.2)) out.push(f.ping(), f.windowUpdate(0, 1 + rnd.int(65535)))
  }
  if (rnd.chance(0.2)) out.push(f.goAway(0, 0))
  return out
}

/** Frames a server sends to a client that opened streams 1, 3 and 5. */
function clientSeed(rnd: Random): Uint8Array[] {
  const hpack = new Encoder()
  const out: Uint8Array[] = [
    f.settings(rnd.chance(0.5) ? [[SettingId.MAX_CONCURRENT_STREAMS, rnd.int(5)]] : []),
    f.settingsAck(),
  ]
  for (const id of [1, 3, 5]) {
    const kind = rnd.int(5)
    if (kind === 0) {
      out.push(
        f.headers(
          id,
          hpack.encode([
            [':status', '200'],
            ['content-length', '3'],
          ]),
          Flags.END_HEADERS,
        ),
      )
      out.push(f.data(id, Uint8Array.of(1, 2, 3), Flags.END_STREAM))
    } else if (kind === 1) {
      out.push(
        f.headers(
          id,
          hpack.encode([
            [':status', '103'],
            ['link', '</a>'],
          ]),
          Flags.END_HEADERS,
        ),
      )
      out.push(f.headers(id, hpack.encode([[':status', '204']]), Flags.END_HEADERS | Flags.END_STREAM))
    } else if (kind === 2) {
      out.push(
        f.headers(id, hpack.encode([[':status', '200']]), Flags.END_HEADERS),
        f.data(id, rnd.bytes(rnd.int(2000))),
      )
      out.push(f.headers(id, hpack.encode([['grpc-status', '0']]), Flags.END_HEADERS | Flags.END_STREAM))
    } else if (kind === 3) {
      out.push(f.rst(id, rnd.pick([0, 7, 8])))
    } else {
      out.push(f.windowUpdate(id, 1 + rnd.int(1000)), f.ping(), f.goAway(id, 0))
    }
  }
  return out
}

// -----------------------------------------------------------------------------------------------------
// Mutations

const INTERESTING_IDS = [0, 1, 2, 3, 4, 5, 7, 9, 101, 0x7ffffffe, 0x7fffffff, 0x80000001]

function randomFrame(rnd: Random): Uint8Array {
  const type = rnd.chance(0.9) ? rnd.int(0x11) : rnd.int(256)
  const length = rnd.chance(0.9) ? rnd.int(24) : rnd.int(20000)
  const payload = rnd.bytes(length)
  const frame = new Uint8Array(9 + length)
  frame[0] = (length >> 16) & 0xff
  frame[1] = (length >> 8) & 0xff
  frame[2] = length & 0xff
  frame[3] = type
  frame[4] = rnd.chance(0.5) ? rnd.int(256) : rnd.pick([0, 1, 4, 5, 8, 0x20, 0x25])
  new DataView(frame.buffer).setUint32(5, rnd.pick(INTERESTING_IDS))
  frame.set(payload, 9)
  return frame
}

function mutate(frames: Uint8Array[], rnd: Random, donor: () => Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = frames.map((x) => x.slice())
  const rounds = rnd.int(4)
  for (let r = 0; r < rounds; r++) {
    const at = 1 + rnd.int(Math.max(1, out.length - 1)) // usually leave the preface alone
    switch (rnd.int(9)) {
      case 0: {
        // bit flip
        const target = out[Math.min(at, out.length - 1)]
        if (target !== undefined && target.length > 0) target[rnd.int(target.length)]! ^= 1 << rnd.int(8)
        break
      }
      case 1: // a random frame
        out.splice(at, 0, randomFrame(rnd))
        break
      case 2: {
        // splice in frames from another valid session
        const other = donor()
        const from = rnd.int(other.length)
        out.splice(at, 0, ...other.slice(from, from + 1 + rnd.int(4)))
        break
      }
      case 3: // drop a frame
        out.splice(at, 1)
        break
      case 4: {
        // repeat a frame (a small flood)
        const target = out[Math.min(at, out.length - 1)]
        if (target !== undefined) out.splice(at, 0, ...Array.from({ length: 1 + rnd.int(50) }, () => target))
        break
      }
      case 5: {
        // swap two frames
        const b = rnd.int(out.length)
        const x = out[at]
        const y = out[b]
        if (x !== undefined && y !== undefined) {
          out[at] = y
          out[b] = x
        }
        break
      }
      case 6: {
        // rewrite a header field: flags, stream id or type
        const target = out[Math.min(at, out.length - 1)]
        if (target !== undefined && target.length >= 9) {
          const which = rnd.int(3)
          if (which === 0) target[4] = rnd.int(256)
          else if (which === 1)
            new DataView(target.buffer, target.byteOffset).setUint32(5, rnd.pick(INTERESTING_IDS))
          else target[3] = rnd.int(0x12)
        }
        break
      }
      case 7: {
        // lie about the length
        const target = out[Math.min(at, out.length - 1)]
        if (target !== undefined && target.length >= 9) target[2] = rnd.int(256)
        break
      }
      default: {
        // truncate the session somewhere
        const whole = concat(out)
        return [whole.subarray(0, rnd.int(whole.length + 1))]
      }
    }
  }
  return out
}

// -----------------------------------------------------------------------------------------------------
// One session

export interface FuzzFailure {
  seed: number
  role: Role
  message: string
  /** The bytes fed to the engine, hex (for a regression test). */
  input: string
}

const CONCURRENCY = 100
/** Limits small enough that a session can reach them. */
const LIMITS = { maxQueuedControlFrames: 200, resetBurst: 50, priorityBurst: 50, maxEmptyFrames: 20 }

/** Runs one fuzz session; returns a failure, or undefined if the engine behaved. */
export function runSession(seed: number, role: Role): FuzzFailure | undefined {
  const rnd = new Random(seed)
  const seedOf = role === 'server' ? serverSeed : clientSeed
  const frames = mutate(seedOf(rnd), rnd, () => seedOf(rnd))
  const input = concat(frames)
  let clock = 1_000_000
  const conn = new Connection({
    role,
    now: () => clock,
    limits: rnd.chance(0.5) ? LIMITS : {},
    settings: { maxConcurrentStreams: CONCURRENCY },
  })
  const outDecoder = new FrameDecoder({
    preface: role === 'client' ? 'client' : 'server',
    maxFrameSize: 16384,
  })
  const outHpack = new Decoder({ maxHeaderListSize: 1 << 24 })
  let outBlock: Uint8Array[] | undefined
  const fail = (message: string): FuzzFailure => ({
    seed,
    role,
    message,
    input: Buffer.from(input).toString('hex'),
  })

  const command = (what: () => void): string | undefined => {
    try {
      what()
      return undefined
    } catch (error) {
      return isUsageError(error) ? undefined : `command threw ${String((error as Error)?.stack ?? error)}`
    }
  }

  const onEvents = (events: ConnectionEvent[]): string | undefined => {
    for (const e of events) {
      if (e.type === 'connectionFailed') {
        if (!isConnectionError(e.error) || typeof e.error.code !== 'number')
          return `bad connection error ${String(e.error)}`
      } else if (e.type === 'headersReceived' && e.kind === 'request') {
        const id = e.streamId
        const choice = rnd.int(4)
        const problem = command(() => {
          if (choice === 0) conn.sendHeaders(id, [[':status', '200']], { endStream: true })
          else if (choice === 1) {
            conn.sendHeaders(id, [[':status', '200']])
            conn.sendData(id, rnd.bytes(rnd.int(40000)), { endStream: rnd.chance(0.7) })
          } else if (choice === 2) conn.resetStream(id, rnd.pick([0, 2, 8]))
        })
        if (problem !== undefined) return problem
      } else if (e.type === 'dataReceived') {
        const problem = command(() => conn.consumed(e.streamId, rnd.chance(0.8) ? e.data.length : 0))
        if (problem !== undefined) return problem
      }
    }
    if (conn.activeStreams > CONCURRENCY + (role === 'client' ? 3 : 0))
      return `stream table ${conn.activeStreams} over the limit ${CONCURRENCY}`
    return undefined
  }

  const pull = (): string | undefined => {
    const chunks = conn.pullOutbound()
    const bytes = concat(chunks)
    // Control frames are bounded by maxQueuedControlFrames; DATA by the budget asked for (256 KiB).
    if (bytes.length > 4 * 1024 * 1024) return `pullOutbound gave ${bytes.length} bytes`
    for (const item of outDecoder.push(bytes)) {
      if (isFrameError(item)) return `the engine wrote an invalid frame: ${item.message}`
      if (
        item.type === FrameType.HEADERS ||
        item.type === FrameType.PUSH_PROMISE ||
        item.type === FrameType.CONTINUATION
      ) {
        const fragment = (item as { fragment: Uint8Array }).fragment
        if (item.type !== FrameType.CONTINUATION) outBlock = []
        if (outBlock === undefined) return 'CONTINUATION without a header block in the output'
        outBlock.push(fragment.slice())
        if (item.flags & Flags.END_HEADERS) {
          outHpack.decode(concat(outBlock))
          outBlock = undefined
        }
      }
    }
    return undefined
  }

  try {
    if (role === 'client') {
      for (let i = 0; i < 3; i++) {
        const problem = command(() =>
          conn.request(req(rnd.pick(['GET', 'POST', 'HEAD']), '/'), { endStream: rnd.chance(0.5) }),
        )
        if (problem !== undefined) return fail(problem)
      }
      // Let the requests out, so the peer's answers find open streams.
      const p = pull()
      if (p !== undefined) return fail(p)
    }
    let pos = 0
    while (pos < input.length) {
      const n = rnd.chance(0.3) ? 1 + rnd.int(8) : 1 + rnd.int(2000)
      const chunk = input.subarray(pos, pos + n)
      pos += chunk.length
      // The engine may keep views of input: hand it a copy, as a socket would.
      const problem = onEvents(conn.receive(chunk.slice()))
      if (problem !== undefined) return fail(problem)
      if (rnd.chance(0.5)) {
        const p = pull()
        if (p !== undefined) return fail(p)
      }
      if (rnd.chance(0.1)) {
        clock += rnd.int(20_000)
        const t = onEvents(conn.tick())
        if (t !== undefined) return fail(t)
      }
      const deadline = conn.nextDeadline()
      if (deadline !== undefined && !Number.isFinite(deadline)) return fail(`nextDeadline ${deadline}`)
    }
    for (let i = 0; i < 20 && conn.wantsWrite; i++) {
      const p = pull()
      if (p !== undefined) return fail(p)
      const e = onEvents(conn.takeEvents())
      if (e !== undefined) return fail(e)
    }
  } catch (error) {
    return fail(`uncaught: ${String((error as Error)?.stack ?? error)}`)
  }
  return undefined
}

/** The default limit on the control queue, for the record. */
export const DEFAULT_CONTROL_LIMIT = DEFAULT_LIMITS.maxQueuedControlFrames

/** Runs `count` sessions from `baseSeed`; returns the failures (at most `maxFailures`). */
export function runMany(
  baseSeed: number,
  count: number,
  roles: readonly Role[] = ['server', 'client'],
  maxFailures = 10,
): FuzzFailure[] {
  const failures: FuzzFailure[] = []
  for (let i = 0; i < count && failures.length < maxFailures; i++) {
    const seed = (baseSeed + i) >>> 0
    const failure = runSession(seed, roles[i % roles.length]!)
    if (failure !== undefined) failures.push(failure)
  }
  return failures
}
