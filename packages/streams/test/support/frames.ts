/**
 * A frame-builder kit for scenario tests, in the spirit of hyperium/h2's test support: fluent builders that
 * turn into wire bytes, and a test peer that speaks raw frames to one engine under test.
 *
 * ```ts
 * const t = serverUnderTest()
 * t.send(headers(1).request('GET', '/').eos())
 * t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
 * ```
 *
 * Header blocks are encoded when they are sent, with the test peer's own HPACK encoder, so a sequence of
 * blocks stays valid (dynamic-table references and all). `.block(bytes)` sends a block as given instead
 * (garbage, or a fragment cut by hand), and `.garbage()` a block no decoder accepts.
 */

import {
  clientPreface,
  type DecodedItem,
  ErrorCode,
  encodeFrame,
  errorCodeName,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  frameTypeName,
  type GoAwayFrame,
  isFrameError,
  type PingFrame,
  type Priority,
  type RstStreamFrame,
  type Setting,
  SettingId,
  type SettingsFrame,
  type WindowUpdateFrame,
} from '@h2ts/frames'
import { Decoder, Encoder, type HeaderField } from '@h2ts/hpack'
import { expect } from 'vitest'
import { concat, latin1 } from '../../../../test/support/bytes.js'
import { Connection, type ConnectionEvent, type ConnectionOptions, type Settings } from '../../src/index.js'

// -----------------------------------------------------------------------------------------------------
// Builders

/** What a builder needs to turn into bytes: the sending peer's HPACK encoder. */
export interface EncodeContext {
  hpack: Encoder
}

/** Anything that becomes wire bytes. */
export interface FrameBuilder {
  encode(ctx: EncodeContext): Uint8Array
}

export type Sendable = FrameBuilder | Uint8Array

function toBytes(payload: string | Uint8Array | number): Uint8Array {
  if (typeof payload === 'number') {
    const out = new Uint8Array(payload)
    for (let i = 0; i < payload; i++) out[i] = (i * 7 + 3) & 0xff
    return out
  }
  return typeof payload === 'string' ? latin1(payload) : payload
}

export { concat }

/** Splits `bytes` into `parts` fragments of near-equal size (some may be empty when bytes are few). */
function split(bytes: Uint8Array, parts: number): Uint8Array[] {
  const out: Uint8Array[] = []
  const size = Math.ceil(bytes.length / parts)
  for (let i = 0; i < parts; i++) out.push(bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)))
  return out
}

/** An HPACK block that decodes to nothing sensible: an indexed field with index 0 (RFC 7541 §6.1). */
export const GARBAGE_BLOCK: Uint8Array = Uint8Array.of(0x80, 0xff, 0xff, 0xff)

export type Fields = ReadonlyArray<HeaderField>

/** A request's fields, pseudo-headers first; `extra` appended after them. */
export function requestFields(method: string, path: string, extra: Fields = []): HeaderField[] {
  // §8.5: a CONNECT request has :method and :authority only.
  if (method === 'CONNECT') return [[':method', method], [':authority', 'example.com'], ...extra]
  return [[':method', method], [':scheme', 'https'], [':authority', 'example.com'], [':path', path], ...extra]
}

/** HEADERS (§6.2): `.request()`, `.response()` or `.fields()`, then flags. */
export class HeadersBuilder implements FrameBuilder {
  #fields: Fields = []
  #block: Uint8Array | undefined
  #flags = Flags.END_HEADERS
  #padLength: number | undefined
  #priority: Priority | undefined
  #continuations = 0
  #type: number = FrameType.HEADERS
  #promised = 0

  constructor(readonly streamId: number) {}

  /** @internal used by pushPromise(). */
  asPushPromise(promisedStreamId: number): this {
    this.#type = FrameType.PUSH_PROMISE
    this.#promised = promisedStreamId
    return this
  }

  request(method: string, path: string, extra: Fields = []): this {
    return this.fields(requestFields(method, path, extra))
  }

  response(status: number | string, extra: Fields = []): this {
    return this.fields([[':status', String(status)], ...extra])
  }

  /** The header fields, in order, exactly as given (no validation: send what breaks the rules). */
  fields(fields: Fields): this {
    this.#fields = fields
    this.#block = undefined
    return this
  }

  /** Sends this HPACK block instead of encoding fields (the peer's encoder is not touched). */
  block(bytes: Uint8Array): this {
    this.#block = bytes
    return this
  }

  /** A block no HPACK decoder accepts (COMPRESSION_ERROR). */
  garbage(): this {
    return this.block(GARBAGE_BLOCK)
  }

  /** END_STREAM. */
  eos(): this {
    this.#flags |= Flags.END_STREAM
    return this
  }

  /** Clears END_HEADERS: CONTINUATION frames must follow (send them with continuation()). */
  noEndHeaders(): this {
    this.#flags &= ~Flags.END_HEADERS
    return this
  }

  /** Splits the block into HEADERS + `n` CONTINUATION frames (END_HEADERS on the last). */
  continuations(n: number): this {
    this.#continuations = n
    return this
  }

  padded(padLength: number): this {
    this.#padLength = padLength
    return this
  }

  priority(priority: { dependency: number; weight?: number; exclusive?: boolean }): this {
    this.#priority = {
      dependency: priority.dependency,
      weight: priority.weight ?? 16,
      exclusive: priority.exclusive ?? false,
    }
    return this
  }

  /** Extra raw flag bits (unknown ones must be ignored, §4.1). */
  flags(bits: number): this {
    this.#flags |= bits
    return this
  }

  encode(ctx: EncodeContext): Uint8Array {
    const whole = this.#block ?? ctx.hpack.encode(this.#fields)
    const parts = this.#continuations > 0 ? split(whole, this.#continuations + 1) : [whole]
    const endHeaders = this.#flags & Flags.END_HEADERS
    const firstFlags = parts.length > 1 ? this.#flags & ~Flags.END_HEADERS : this.#flags
    const frames: Uint8Array[] = []
    const first = parts[0]!
    if (this.#type === FrameType.PUSH_PROMISE) {
      frames.push(
        encodeFrame({
          type: FrameType.PUSH_PROMISE,
          flags: firstFlags,
          streamId: this.streamId,
          promisedStreamId: this.#promised,
          fragment: first,
          ...(this.#padLength === undefined ? {} : { padLength: this.#padLength }),
        }),
      )
    } else {
      frames.push(
        encodeFrame({
          type: FrameType.HEADERS,
          flags: firstFlags,
          streamId: this.streamId,
          fragment: first,
          ...(this.#padLength === undefined ? {} : { padLength: this.#padLength }),
          ...(this.#priority === undefined ? {} : { priority: this.#priority }),
        }),
      )
    }
    for (let i = 1; i < parts.length; i++) {
      const last = i === parts.length - 1
      frames.push(
        encodeFrame({
          type: FrameType.CONTINUATION,
          flags: last ? endHeaders : 0,
          streamId: this.streamId,
          fragment: parts[i]!,
        }),
      )
    }
    return concat(frames)
  }
}

export function headers(streamId: number): HeadersBuilder {
  return new HeadersBuilder(streamId)
}

/** PUSH_PROMISE (§6.6) on `streamId` promising `promisedStreamId`; set fields like HEADERS. */
export function pushPromise(streamId: number, promisedStreamId: number): HeadersBuilder {
  return new HeadersBuilder(streamId).asPushPromise(promisedStreamId)
}

/** DATA (§6.1). The payload is a string (latin1), bytes, or a size (filled with a pattern). */
export class DataBuilder implements FrameBuilder {
  #flags = 0
  #padLength: number | undefined
  readonly #data: Uint8Array

  constructor(
    readonly streamId: number,
    payload: string | Uint8Array | number,
  ) {
    this.#data = toBytes(payload)
  }

  eos(): this {
    this.#flags |= Flags.END_STREAM
    return this
  }

  /** PADDED with `padLength` octets of padding (plus the Pad Length octet: 1 + padLength more bytes). */
  padded(padLength: number): this {
    this.#padLength = padLength
    return this
  }

  flags(bits: number): this {
    this.#flags |= bits
    return this
  }

  /** Octets this frame counts against flow control (§6.9.1). */
  get flowLength(): number {
    return this.#data.length + (this.#padLength === undefined ? 0 : this.#padLength + 1)
  }

  encode(): Uint8Array {
    return encodeFrame({
      type: FrameType.DATA,
      flags: this.#flags,
      streamId: this.streamId,
      data: this.#data,
      ...(this.#padLength === undefined ? {} : { padLength: this.#padLength }),
    })
  }
}

export function data(streamId: number, payload: string | Uint8Array | number = ''): DataBuilder {
  return new DataBuilder(streamId, payload)
}

/** CONTINUATION (§6.10) with a fragment (bytes), or fields encoded by the peer's encoder. */
export class ContinuationBuilder implements FrameBuilder {
  #flags = 0
  constructor(
    readonly streamId: number,
    readonly fragment: Uint8Array | Fields,
  ) {}

  endHeaders(): this {
    this.#flags |= Flags.END_HEADERS
    return this
  }

  flags(bits: number): this {
    this.#flags |= bits
    return this
  }

  encode(ctx: EncodeContext): Uint8Array {
    const fragment = this.fragment instanceof Uint8Array ? this.fragment : ctx.hpack.encode(this.fragment)
    return encodeFrame({
      type: FrameType.CONTINUATION,
      flags: this.#flags,
      streamId: this.streamId,
      fragment,
    })
  }
}

export function continuation(streamId: number, fragment: Uint8Array | Fields = new Uint8Array(0)) {
  return new ContinuationBuilder(streamId, fragment)
}

/** A builder for a frame that needs no HPACK state. */
class FixedBuilder implements FrameBuilder {
  constructor(readonly frame: Frame) {}
  encode(): Uint8Array {
    return encodeFrame(this.frame)
  }
}

const SETTING_IDS: Record<keyof Settings, number> = {
  headerTableSize: SettingId.HEADER_TABLE_SIZE,
  enablePush: SettingId.ENABLE_PUSH,
  maxConcurrentStreams: SettingId.MAX_CONCURRENT_STREAMS,
  initialWindowSize: SettingId.INITIAL_WINDOW_SIZE,
  maxFrameSize: SettingId.MAX_FRAME_SIZE,
  maxHeaderListSize: SettingId.MAX_HEADER_LIST_SIZE,
  enableConnectProtocol: SettingId.ENABLE_CONNECT_PROTOCOL,
  noRfc7540Priorities: SettingId.NO_RFC7540_PRIORITIES,
}

/** Settings by name (booleans as 0/1, numbers as given, even out of range), or raw [id, value] entries. */
export type SettingsInit =
  | { [K in keyof Settings]?: number | boolean }
  | ReadonlyArray<readonly [number, number]>

export function settingEntries(init: SettingsInit): Setting[] {
  if (Array.isArray(init))
    return (init as ReadonlyArray<readonly [number, number]>).map(([id, value]) => ({ id, value }))
  const out: Setting[] = []
  for (const [name, value] of Object.entries(init as Record<string, number | boolean | undefined>)) {
    if (value === undefined) continue
    const id = SETTING_IDS[name as keyof Settings]
    out.push({ id, value: typeof value === 'boolean' ? (value ? 1 : 0) : value })
  }
  return out
}

export function settings(init: SettingsInit = {}): FrameBuilder {
  return new FixedBuilder({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: settingEntries(init) })
}

export function settingsAck(): FrameBuilder {
  return new FixedBuilder({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] })
}

export class PingBuilder implements FrameBuilder {
  #flags = 0
  constructor(readonly payload: Uint8Array) {}
  ack(): this {
    this.#flags |= Flags.ACK
    return this
  }
  encode(): Uint8Array {
    return encodeFrame({ type: FrameType.PING, flags: this.#flags, streamId: 0, data: this.payload })
  }
}

/** PING (§6.7) with 8 octets (a string is latin1). */
export function ping(payload: Uint8Array | string = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)): PingBuilder {
  return new PingBuilder(toBytes(payload))
}

export function windowUpdate(streamId: number, increment: number): FrameBuilder {
  return new FixedBuilder({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, increment })
}

export function rstStream(streamId: number, code: number = ErrorCode.CANCEL): FrameBuilder {
  return new FixedBuilder({ type: FrameType.RST_STREAM, flags: 0, streamId, errorCode: code })
}

export function goAway(lastStreamId: number, code: number = ErrorCode.NO_ERROR, debug = ''): FrameBuilder {
  return new FixedBuilder({
    type: FrameType.GOAWAY,
    flags: 0,
    streamId: 0,
    lastStreamId,
    errorCode: code,
    debugData: latin1(debug),
  })
}

export function priority(
  streamId: number,
  p: { dependency: number; weight?: number; exclusive?: boolean },
): FrameBuilder {
  return new FixedBuilder({
    type: FrameType.PRIORITY,
    flags: 0,
    streamId,
    priority: { dependency: p.dependency, weight: p.weight ?? 16, exclusive: p.exclusive ?? false },
  })
}

/** Any frame with an arbitrary (even invalid) payload: the header is written as given. */
export function raw(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array | string = '',
): FrameBuilder {
  return new FixedBuilder({ type, flags, streamId, payload: toBytes(payload) })
}

/** A frame of a type no RFC here defines (ignored on receipt, §4.1, §5.5). */
export function unknownFrame(
  streamId = 0,
  type = 0xbb,
  payload: Uint8Array | string = 'extension',
): FrameBuilder {
  return raw(type, 0, streamId, payload)
}

// -----------------------------------------------------------------------------------------------------
// Reading what the engine wrote

/** A decoded frame from the engine; header blocks (HEADERS + CONTINUATION) carry their decoded `fields`. */
export type ReadFrame = Frame & { fields?: HeaderField[] }

export function describeFrame(f: ReadFrame): string {
  const name = frameTypeName(f.type)
  switch (f.type) {
    case FrameType.RST_STREAM:
      return `RST_STREAM(${f.streamId}, ${errorCodeName((f as RstStreamFrame).errorCode)})`
    case FrameType.GOAWAY: {
      const g = f as GoAwayFrame
      return `GOAWAY(last=${g.lastStreamId}, ${errorCodeName(g.errorCode)})`
    }
    case FrameType.WINDOW_UPDATE:
      return `WINDOW_UPDATE(${f.streamId}, +${(f as WindowUpdateFrame).increment})`
    case FrameType.SETTINGS:
      return f.flags & Flags.ACK ? 'SETTINGS(ACK)' : `SETTINGS(${(f as SettingsFrame).settings.length})`
    case FrameType.PING:
      return f.flags & Flags.ACK ? 'PING(ACK)' : 'PING'
    default:
      return `${name}(${f.streamId}${f.flags & Flags.END_STREAM && f.type <= 1 ? ', END_STREAM' : ''})`
  }
}

// -----------------------------------------------------------------------------------------------------
// The test peer

/** A clock the test moves by hand (the engine's `now` option). */
export class FakeClock {
  time = 1_000_000
  readonly now = (): number => this.time
  advance(ms: number): void {
    this.time += ms
  }
}

export interface PeerOptions extends Omit<Partial<ConnectionOptions>, 'role' | 'now'> {
  /** The SETTINGS the test peer sends in its preface (default: none). */
  peerSettings?: SettingsInit
  /** Run the handshake (default true). Without it, nothing has been exchanged yet. */
  handshake?: boolean
  /** Acknowledge the engine's SETTINGS during the handshake (default true). */
  ackSettings?: boolean
  clock?: FakeClock
}

function copyEvent(e: ConnectionEvent): ConnectionEvent {
  // DATA views are valid until the next call into the engine: keep a copy.
  return e.type === 'dataReceived' ? { ...e, data: e.data.slice() } : e
}

export class TestPeer {
  readonly conn: Connection
  readonly clock: FakeClock
  /** Encodes the header blocks the test peer sends. */
  readonly hpack = new Encoder()
  /** Decodes the header blocks the engine sends. */
  readonly hpackIn = new Decoder({ maxHeaderListSize: 1 << 24 })
  /** Every event the engine reported, in order. */
  readonly events: ConnectionEvent[] = []
  /** Frames the engine wrote during the handshake (its SETTINGS first). */
  handshakeFrames: ReadFrame[] = []
  readonly #decoder: FrameDecoder
  #block: ReadFrame | undefined
  #blockParts: Uint8Array[] = []

  constructor(
    readonly role: 'server' | 'client',
    options: PeerOptions = {},
  ) {
    const { peerSettings, handshake, ackSettings, clock, ...connOptions } = options
    this.clock = clock ?? new FakeClock()
    this.conn = new Connection({ ...connOptions, role, now: this.clock.now })
    const peerEntries = settingEntries(peerSettings ?? {})
    const peerMaxFrame = peerEntries.find((s) => s.id === SettingId.MAX_FRAME_SIZE)?.value ?? 16384
    this.#decoder = new FrameDecoder({
      // The engine under test starts with the client preface if it is a client, else with SETTINGS.
      preface: role === 'client' ? 'client' : 'server',
      maxFrameSize: Math.min(Math.max(16384, peerMaxFrame), 16777215),
    })
    if (handshake === false) return
    if (role === 'server') this.send(clientPreface(), settings(peerSettings ?? {}))
    else this.send(settings(peerSettings ?? {}))
    this.handshakeFrames = this.read()
    const first = this.handshakeFrames[0]
    if (first?.type !== FrameType.SETTINGS || (first.flags & Flags.ACK) !== 0) {
      throw new Error(`the engine did not start with SETTINGS: ${this.handshakeFrames.map(describeFrame)}`)
    }
    if (!this.handshakeFrames.some((f) => f.type === FrameType.SETTINGS && f.flags & Flags.ACK)) {
      throw new Error('the engine did not acknowledge the peer SETTINGS')
    }
    if (ackSettings !== false) {
      const events = this.send(settingsAck())
      if (!events.some((e) => e.type === 'settingsAcknowledged')) throw new Error('SETTINGS ACK not applied')
    }
  }

  /** The engine's SETTINGS from the handshake, as entries. */
  get engineSettings(): Setting[] {
    const f = this.handshakeFrames[0]
    return f?.type === FrameType.SETTINGS ? (f as SettingsFrame).settings : []
  }

  /** Encodes the frames, feeds them to the engine in one `receive` call, and returns its events. */
  send(...frames: Sendable[]): ConnectionEvent[] {
    return this.#deliver(concat(frames.map((f) => this.bytes(f))))
  }

  /** Like send, but one `receive` call per frame; returns all events. */
  sendEach(...frames: Sendable[]): ConnectionEvent[] {
    const out: ConnectionEvent[] = []
    for (const f of frames) out.push(...this.#deliver(this.bytes(f)))
    return out
  }

  /** The wire bytes of a builder, using this peer's HPACK encoder. */
  bytes(f: Sendable): Uint8Array {
    return f instanceof Uint8Array ? f : f.encode({ hpack: this.hpack })
  }

  /** An HPACK block from this peer's encoder (for splitting by hand). */
  encodeBlock(fields: Fields): Uint8Array {
    return this.hpack.encode(fields).slice()
  }

  #deliver(bytes: Uint8Array): ConnectionEvent[] {
    const events = this.conn.receive(bytes).map(copyEvent)
    this.events.push(...events)
    return events
  }

  /** Lets the engine see the clock (`tick`), returning its events. */
  tick(): ConnectionEvent[] {
    const events = this.conn.tick().map(copyEvent)
    this.events.push(...events)
    return events
  }

  /** Events queued by commands (not by receive). */
  takeEvents(): ConnectionEvent[] {
    const events = this.conn.takeEvents().map(copyEvent)
    this.events.push(...events)
    return events
  }

  /**
   * Pulls everything the engine has to send and decodes it. Header blocks are joined and decoded with the
   * peer's HPACK decoder (the frame that opens the block gets the `fields`). Throws if the output is not
   * valid frames.
   */
  read(): ReadFrame[] {
    const out: ReadFrame[] = []
    for (let round = 0; round < 10_000; round++) {
      const chunks = this.conn.pullOutbound()
      if (chunks.length === 0) break
      for (const item of this.#decoder.push(concat(chunks))) out.push(...this.#onItem(item))
    }
    if (this.#decoder.bufferedBytes !== 0) throw new Error('the engine wrote a partial frame')
    this.takeEvents()
    return out
  }

  #onItem(item: DecodedItem): ReadFrame[] {
    if (isFrameError(item)) throw new Error(`the engine wrote an invalid frame: ${item.message}`)
    const frame = item as ReadFrame
    if (frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) {
      const fragment = (frame as { fragment: Uint8Array }).fragment.slice()
      if (this.#block !== undefined) throw new Error('the engine interleaved header blocks')
      if (frame.flags & Flags.END_HEADERS) {
        frame.fields = this.hpackIn.decodeFields(fragment)
        return [frame]
      }
      this.#block = frame
      this.#blockParts = [fragment]
      return [frame]
    }
    if (this.#block !== undefined) {
      if (frame.type !== FrameType.CONTINUATION || frame.streamId !== this.#block.streamId) {
        throw new Error('the engine interrupted a header block')
      }
      this.#blockParts.push((frame as { fragment: Uint8Array }).fragment.slice())
      if (frame.flags & Flags.END_HEADERS) {
        this.#block.fields = this.hpackIn.decodeFields(concat(this.#blockParts))
        this.#block = undefined
        this.#blockParts = []
      }
      return [frame]
    }
    if ('data' in frame && frame.data instanceof Uint8Array) frame.data = frame.data.slice()
    if ('debugData' in frame && frame.debugData instanceof Uint8Array)
      frame.debugData = frame.debugData.slice()
    return [frame]
  }

  // --- Shortcuts ---------------------------------------------------------------------------------------

  /** Server under test: the peer opens stream `id` with a GET (END_STREAM if `eos`). */
  open(id: number, options: { eos?: boolean; method?: string; extra?: Fields } = {}): ConnectionEvent[] {
    const h = headers(id).request(
      options.method ?? (options.eos === false ? 'POST' : 'GET'),
      '/',
      options.extra,
    )
    return this.send(options.eos === true ? h.eos() : h)
  }

  // --- Assertions --------------------------------------------------------------------------------------

  /**
   * Reads, and expects a GOAWAY with `code` (and `lastStreamId` when given) as the last frame, the engine
   * failed (for codes other than NO_ERROR) or finished. Returns the GOAWAY.
   */
  expectGoAway(code: number, lastStreamId?: number, frames: ReadFrame[] = this.read()): GoAwayFrame {
    const goaways = frames.filter((f): f is GoAwayFrame => f.type === FrameType.GOAWAY)
    expect(goaways.map(describeFrame), `frames: ${frames.map(describeFrame).join(' ')}`).toEqual([
      `GOAWAY(last=${lastStreamId ?? goaways[0]?.lastStreamId}, ${errorCodeName(code)})`,
    ])
    const g = goaways[0]!
    if (code !== ErrorCode.NO_ERROR) {
      expect(frames.at(-1), 'GOAWAY is the last frame').toBe(g)
      expect(this.conn.error?.code).toBe(code)
      expect(this.conn.finished).toBe(true)
      expect(this.events.some((e) => e.type === 'connectionFailed' && e.error.code === code)).toBe(true)
    }
    return g
  }

  /** Reads, and expects exactly one RST_STREAM, on `streamId` with `code`, and no GOAWAY. */
  expectRst(streamId: number, code: number, frames: ReadFrame[] = this.read()): RstStreamFrame {
    const interesting = frames.filter((f) => f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY)
    expect(interesting.map(describeFrame), `frames: ${frames.map(describeFrame).join(' ')}`).toEqual([
      `RST_STREAM(${streamId}, ${errorCodeName(code)})`,
    ])
    expect(this.conn.error).toBeUndefined()
    expect(this.conn.streamState(streamId)).toBe('closed')
    return interesting[0] as RstStreamFrame
  }

  /** Reads, and expects the engine to write nothing at all. */
  expectNothing(frames: ReadFrame[] = this.read()): void {
    expect(frames.map(describeFrame)).toEqual([])
  }

  /** Reads, and expects no RST_STREAM and no GOAWAY (other frames may be there). Returns the frames. */
  expectNoError(frames: ReadFrame[] = this.read()): ReadFrame[] {
    const bad = frames.filter((f) => f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY)
    expect(bad.map(describeFrame)).toEqual([])
    expect(this.conn.error).toBeUndefined()
    return frames
  }

  /** The engine still answers a PING: proof it is alive and in sync after a scenario. */
  expectAlive(): void {
    const payload = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2)
    this.send(ping(payload))
    const frames = this.read()
    const acks = frames.filter(
      (f): f is PingFrame => f.type === FrameType.PING && (f.flags & Flags.ACK) !== 0,
    )
    expect(acks.map((f) => [...f.data])).toEqual([[...payload]])
  }
}

export function serverUnderTest(options: PeerOptions = {}): TestPeer {
  return new TestPeer('server', options)
}

export function clientUnderTest(options: PeerOptions = {}): TestPeer {
  return new TestPeer('client', options)
}

// -----------------------------------------------------------------------------------------------------
// Event helpers

export function ofType<T extends ConnectionEvent['type']>(
  events: readonly ConnectionEvent[],
  type: T,
): Array<Extract<ConnectionEvent, { type: T }>> {
  return events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type)
}

export function framesOf<T extends Frame>(frames: readonly ReadFrame[], type: number): Array<T & ReadFrame> {
  return frames.filter((f) => f.type === type) as Array<T & ReadFrame>
}
