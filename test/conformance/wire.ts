/**
 * The raw-frame peer of the conformance suite: a socket that sends exact bytes and reads back every frame the
 * implementation under test writes, decoded with @h2ts/frames (and its header blocks with @h2ts/hpack, so a
 * peer that sends broken HPACK is caught too). It plays the client against a server under test, and the
 * server against a client under test.
 *
 * Frame builders here are plain functions over `encodeFrame`: the suite needs to write frames the codec
 * would never produce on its own (wrong lengths, stream 0, bad padding), so most of them take a raw payload.
 *
 * Our own header blocks are encoded without the dynamic table (`indexPolicy: () => false`): cases that
 * hand-craft HPACK bytes may insert entries into the peer's table without our encoder falling out of step.
 */
import * as net from 'node:net'
import * as tls from 'node:tls'
import {
  clientPreface,
  encodeFrame,
  errorCodeName,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  frameTypeName,
  type GoAwayFrame,
  isFrameError,
  MAX_FRAME_SIZE_LIMIT,
  type RstStreamFrame,
  type Setting,
  type SettingsFrame,
  type WindowUpdateFrame,
} from '@h2ts/frames'
import { Decoder, Encoder, encodeInteger, type HeaderField, huffmanEncode } from '@h2ts/hpack'

// -----------------------------------------------------------------------------------------------------
// Bytes

import { concat, latin1 } from '../support/bytes.js'

export { concat, latin1 }

/** `n` octets of a recognisable pattern. */
export function filler(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = 0x61 + (i % 26)
  return out
}

// -----------------------------------------------------------------------------------------------------
// Frame builders

/** Any frame with a payload written as given: the header says `type`, `flags`, `streamId` and the length. */
export function rawFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
) {
  return encodeFrame({ type, flags, streamId, payload })
}

export function dataFrame(
  streamId: number,
  payload: Uint8Array | string = '',
  opts: { endStream?: boolean; padLength?: number; flags?: number } = {},
): Uint8Array {
  const data = typeof payload === 'string' ? latin1(payload) : payload
  return encodeFrame({
    type: FrameType.DATA,
    flags: (opts.flags ?? 0) | (opts.endStream ? Flags.END_STREAM : 0),
    streamId,
    data,
    ...(opts.padLength === undefined ? {} : { padLength: opts.padLength }),
  })
}

export interface HeadersOptions {
  endStream?: boolean
  /** Default true. */
  endHeaders?: boolean
  padLength?: number
  priority?: { dependency: number; weight?: number; exclusive?: boolean }
  /** Extra flag bits (undefined ones must be ignored, RFC 9113 §4.1). */
  flags?: number
}

/** One HEADERS frame carrying `block` (an HPACK field block fragment) as given. */
export function headersFrame(streamId: number, block: Uint8Array, opts: HeadersOptions = {}): Uint8Array {
  let flags = opts.flags ?? 0
  if (opts.endStream) flags |= Flags.END_STREAM
  if (opts.endHeaders !== false) flags |= Flags.END_HEADERS
  return encodeFrame({
    type: FrameType.HEADERS,
    flags,
    streamId,
    fragment: block,
    ...(opts.padLength === undefined ? {} : { padLength: opts.padLength }),
    ...(opts.priority === undefined
      ? {}
      : {
          priority: {
            dependency: opts.priority.dependency,
            weight: opts.priority.weight ?? 16,
            exclusive: opts.priority.exclusive ?? false,
          },
        }),
  })
}

export function continuationFrame(streamId: number, fragment: Uint8Array, endHeaders: boolean): Uint8Array {
  return encodeFrame({
    type: FrameType.CONTINUATION,
    flags: endHeaders ? Flags.END_HEADERS : 0,
    streamId,
    fragment,
  })
}

export function pushPromiseFrame(streamId: number, promisedStreamId: number, block: Uint8Array): Uint8Array {
  return encodeFrame({
    type: FrameType.PUSH_PROMISE,
    flags: Flags.END_HEADERS,
    streamId,
    promisedStreamId,
    fragment: block,
  })
}

export function settingsFrame(settings: ReadonlyArray<readonly [number, number]> = []): Uint8Array {
  return encodeFrame({
    type: FrameType.SETTINGS,
    flags: 0,
    streamId: 0,
    settings: settings.map(([id, value]) => ({ id, value })),
  })
}

export function settingsAck(): Uint8Array {
  return encodeFrame({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] })
}

export function pingFrame(data: Uint8Array | string = 'h2tsping', ack = false): Uint8Array {
  return encodeFrame({
    type: FrameType.PING,
    flags: ack ? Flags.ACK : 0,
    streamId: 0,
    data: typeof data === 'string' ? latin1(data) : data,
  })
}

export function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  // Written raw: the codec would refuse neither a zero increment nor the reserved bit, but a raw payload
  // also lets a case set that bit (RFC 9113 §6.9).
  const p = new Uint8Array(4)
  new DataView(p.buffer).setUint32(0, increment >>> 0)
  return rawFrame(FrameType.WINDOW_UPDATE, 0, streamId, p)
}

export function rstStreamFrame(streamId: number, code: number): Uint8Array {
  return encodeFrame({ type: FrameType.RST_STREAM, flags: 0, streamId, errorCode: code })
}

export function goAwayFrame(lastStreamId: number, code: number, debug = ''): Uint8Array {
  return encodeFrame({
    type: FrameType.GOAWAY,
    flags: 0,
    streamId: 0,
    lastStreamId,
    errorCode: code,
    debugData: latin1(debug),
  })
}

export function priorityFrame(
  streamId: number,
  dependency: number,
  weight = 16,
  exclusive = false,
): Uint8Array {
  return encodeFrame({
    type: FrameType.PRIORITY,
    flags: 0,
    streamId,
    priority: { dependency, weight, exclusive },
  })
}

// -----------------------------------------------------------------------------------------------------
// Hand-written HPACK (RFC 7541 §6): representations the encoder would never produce.

function int(value: number, prefixBits: number, pattern: number): Uint8Array {
  const out = new Uint8Array(8)
  return out.slice(0, encodeInteger(out, 0, value, prefixBits, pattern))
}

function str(s: string | Uint8Array, huffman = false): Uint8Array {
  const bytes = typeof s === 'string' ? latin1(s) : s
  if (!huffman) return concat([int(bytes.length, 7, 0), bytes])
  const h = huffmanEncode(bytes)
  return concat([int(h.length, 7, 0x80), h])
}

export const hpack = {
  /** §6.1 indexed field. */
  indexed: (index: number): Uint8Array => int(index, 7, 0x80),
  /** §6.2.1 literal with incremental indexing, new name. */
  literalIndexing: (name: string, value: string): Uint8Array =>
    concat([Uint8Array.of(0x40), str(name), str(value)]),
  /** §6.2.2 literal without indexing, new name. */
  literal: (name: string, value: string): Uint8Array => concat([Uint8Array.of(0x00), str(name), str(value)]),
  /** §6.2.2 literal without indexing, indexed name. */
  literalNameIndex: (nameIndex: number, value: string): Uint8Array =>
    concat([int(nameIndex, 4, 0), str(value)]),
  /** §6.3 dynamic table size update. */
  sizeUpdate: (size: number): Uint8Array => int(size, 5, 0x20),
  /** A literal without indexing whose value is the given Huffman-coded octets, length prefix and H bit added. */
  literalHuffmanRaw: (name: string, huffmanBytes: Uint8Array): Uint8Array =>
    concat([Uint8Array.of(0x00), str(name), int(huffmanBytes.length, 7, 0x80), huffmanBytes]),
}

// -----------------------------------------------------------------------------------------------------
// Reading frames

/** A frame read from the peer; a header block (HEADERS or PUSH_PROMISE + CONTINUATION) carries its fields. */
export type ReadFrame = Frame & { fields?: HeaderField[] }

export function describeFrame(f: ReadFrame): string {
  switch (f.type) {
    case FrameType.RST_STREAM:
      return `RST_STREAM(stream ${f.streamId}, ${errorCodeName((f as RstStreamFrame).errorCode)})`
    case FrameType.GOAWAY: {
      const g = f as GoAwayFrame
      return `GOAWAY(last ${g.lastStreamId}, ${errorCodeName(g.errorCode)})`
    }
    case FrameType.WINDOW_UPDATE:
      return `WINDOW_UPDATE(${f.streamId}, +${(f as WindowUpdateFrame).increment})`
    case FrameType.SETTINGS:
      return f.flags & Flags.ACK
        ? 'SETTINGS(ACK)'
        : `SETTINGS(${(f as SettingsFrame).settings.map((s) => `${s.id}=${s.value}`).join(' ')})`
    case FrameType.PING:
      return f.flags & Flags.ACK ? 'PING(ACK)' : 'PING'
    case FrameType.DATA:
    case FrameType.HEADERS:
      return `${frameTypeName(f.type)}(stream ${f.streamId}${f.flags & Flags.END_STREAM ? ', END_STREAM' : ''})`
    default:
      return `${frameTypeName(f.type)}(stream ${f.streamId})`
  }
}

export const isGoAway = (f: ReadFrame): f is ReadFrame & GoAwayFrame => f.type === FrameType.GOAWAY
export const isRst = (f: ReadFrame): f is ReadFrame & RstStreamFrame => f.type === FrameType.RST_STREAM
export const isPingAck = (f: ReadFrame): boolean => f.type === FrameType.PING && (f.flags & Flags.ACK) !== 0
export const endsStream = (f: ReadFrame): boolean =>
  (f.type === FrameType.DATA || f.type === FrameType.HEADERS) && (f.flags & Flags.END_STREAM) !== 0

/** Why a wait ended without the frame asked for. */
export class WaitError extends Error {
  override name = 'WaitError'
}

export interface Target {
  host: string
  port: number
  tls: boolean
}

/**
 * One side of a connection under our control. Frames are read as they arrive and queued; `next()` takes the
 * oldest. Everything the peer writes is also kept in `log` for failure messages.
 */
export class RawPeer {
  /** Encodes our header blocks; static table and literals only (see the file comment). */
  readonly hpack = new Encoder({ indexPolicy: () => false })
  /** Decodes the peer's header blocks. */
  readonly hpackIn = new Decoder({ maxHeaderListSize: 1 << 24 })
  readonly log: string[] = []
  /** Set when the peer wrote something that is not valid HTTP/2 (a bad frame, broken HPACK). */
  peerViolation: string | undefined
  closed = false
  readonly #decoder: FrameDecoder
  readonly #queue: ReadFrame[] = []
  #wake: (() => void) | undefined
  #block: { first: ReadFrame; parts: Uint8Array[] } | undefined

  constructor(
    readonly socket: net.Socket,
    /** 'client' when we are the client (the peer starts with SETTINGS), 'server' when we serve a client. */
    readonly side: 'client' | 'server',
  ) {
    this.#decoder = new FrameDecoder({
      maxFrameSize: MAX_FRAME_SIZE_LIMIT,
      preface: side === 'server' ? 'client' : 'none',
    })
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', () => this.#onClose())
    socket.on('close', () => this.#onClose())
    socket.on('end', () => this.#onClose())
  }

  /** Connects to a server under test (TLS with ALPN h2, or cleartext with prior knowledge). */
  static connect(target: Target, timeoutMs: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = target.tls
        ? tls.connect({
            host: target.host,
            port: target.port,
            ALPNProtocols: ['h2'],
            rejectUnauthorized: false,
            ...(net.isIP(target.host) ? {} : { servername: target.host }),
          })
        : net.connect({ host: target.host, port: target.port })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new WaitError(`cannot connect to ${target.host}:${target.port} within ${timeoutMs} ms`))
      }, timeoutMs)
      socket.once('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      socket.once(target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        if (target.tls && (socket as tls.TLSSocket).alpnProtocol !== 'h2') {
          socket.destroy()
          reject(
            new WaitError(`ALPN did not select h2 (${(socket as tls.TLSSocket).alpnProtocol || 'none'})`),
          )
          return
        }
        resolve(new RawPeer(socket, 'client'))
      })
    })
  }

  send(...chunks: Uint8Array[]): void {
    if (this.closed || this.socket.destroyed) return
    this.socket.write(concat(chunks))
  }

  sendPreface(settings: ReadonlyArray<readonly [number, number]> = []): void {
    this.send(clientPreface(), settingsFrame(settings))
  }

  /** Fields as an HPACK block from our encoder. */
  block(fields: ReadonlyArray<HeaderField>): Uint8Array {
    return this.hpack.encode(fields).slice()
  }

  /** The next frame, `undefined` once the connection is closed (and drained); throws WaitError on timeout. */
  async next(timeoutMs: number): Promise<ReadFrame | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const f = this.#queue.shift()
      if (f !== undefined) return f
      if (this.closed) return undefined
      const left = deadline - Date.now()
      if (left <= 0) throw new WaitError(`nothing within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wake = undefined
    }
  }

  /**
   * Reads until a frame matches. A GOAWAY, a close or the timeout first is a WaitError (the setup of a case
   * went wrong); other frames are skipped (and stay in the log).
   */
  async waitFor(what: string, match: (f: ReadFrame) => boolean, timeoutMs: number): Promise<ReadFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      let f: ReadFrame | undefined
      try {
        f = await this.next(Math.max(1, deadline - Date.now()))
      } catch {
        throw new WaitError(`setup: no ${what} within ${timeoutMs} ms`)
      }
      if (f === undefined) throw new WaitError(`setup: connection closed while waiting for ${what}`)
      if (match(f)) return f
      if (isGoAway(f)) throw new WaitError(`setup: ${describeFrame(f)} while waiting for ${what}`)
      if (f.type === FrameType.PING && !(f.flags & Flags.ACK))
        this.send(pingFrame((f as { data: Uint8Array }).data, true))
    }
  }

  close(): void {
    this.closed = true
    this.socket.destroy()
  }

  #onClose(): void {
    if (this.closed) return
    this.closed = true
    this.#wake?.()
  }

  #onData(chunk: Buffer): void {
    if (this.peerViolation !== undefined) return
    try {
      for (const item of this.#decoder.push(chunk)) {
        if (isFrameError(item)) {
          this.peerViolation = `the peer wrote an invalid frame: ${item.message}`
          this.log.push(`!! ${item.message}`)
          continue
        }
        this.#onFrame(item)
      }
    } catch (error) {
      this.peerViolation = `the peer wrote bytes that are not HTTP/2 frames: ${(error as Error).message}`
      this.log.push(`!! ${(error as Error).message}`)
    }
    this.#wake?.()
  }

  #onFrame(frame: Frame): void {
    const f = frame as ReadFrame
    if (f.type === FrameType.HEADERS || f.type === FrameType.PUSH_PROMISE) {
      const fragment = (f as { fragment: Uint8Array }).fragment.slice()
      if (f.flags & Flags.END_HEADERS) this.#decodeBlock(f, fragment)
      else this.#block = { first: f, parts: [fragment] }
      return
    }
    if (f.type === FrameType.CONTINUATION && this.#block !== undefined) {
      this.#block.parts.push((f as { fragment: Uint8Array }).fragment.slice())
      if (f.flags & Flags.END_HEADERS) {
        const { first, parts } = this.#block
        this.#block = undefined
        this.#decodeBlock(first, concat(parts))
      }
      return
    }
    // Byte fields are views of the socket chunk: copy what a case may look at later.
    if (f.type === FrameType.DATA) (f as { data: Uint8Array }).data = (f as { data: Uint8Array }).data.slice()
    if (f.type === FrameType.PING) (f as { data: Uint8Array }).data = (f as { data: Uint8Array }).data.slice()
    if (f.type === FrameType.SETTINGS && !(f.flags & Flags.ACK)) this.#onSettings(f as SettingsFrame)
    this.#push(f)
  }

  #decodeBlock(f: ReadFrame, block: Uint8Array): void {
    try {
      f.fields = this.hpackIn.decode(block)
    } catch (error) {
      this.peerViolation = `the peer wrote a field block we cannot decode: ${(error as Error).message}`
    }
    this.#push(f)
  }

  #onSettings(f: SettingsFrame): void {
    // §6.5.2 / RFC 7541 §4.2: a smaller table on the peer's side binds our encoder from the next block on.
    for (const s of f.settings) {
      if (s.id === 0x1) this.hpack.setMaxTableSize(Math.min(s.value, 4096))
    }
  }

  #push(f: ReadFrame): void {
    this.log.push(describeFrame(f))
    this.#queue.push(f)
  }
}

/** The last value of each setting in a SETTINGS frame. */
export function settingsMap(settings: readonly Setting[]): Map<number, number> {
  const m = new Map<number, number>()
  for (const s of settings) m.set(s.id, s.value)
  return m
}
