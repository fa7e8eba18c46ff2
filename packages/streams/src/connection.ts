/**
 * The sans-IO HTTP/2 connection (RFC 9113 §3–§8), for either role.
 *
 * Bytes in: `receive(bytes)` parses, updates state and returns events. Commands queue work: `request`,
 * `sendHeaders`, `sendData`, `resetStream`, `consumed`, `ping`, `updateSettings`, `goAway`, `shutdown`.
 * Bytes out: `pullOutbound()` hands back the next chunks to write, chosen in the order of DESIGN.md:
 * urgent control frames, other control frames, stream-opening HEADERS as concurrency allows, then stream
 * frames from the write scheduler, DATA cut to the least of the stream window, the connection window and
 * the peer's SETTINGS_MAX_FRAME_SIZE. No sockets, timers or promises: time comes from the `now` option and
 * `tick()`, and `nextDeadline()` says when the engine next needs it.
 */
import {
  clientPreface,
  type DataFrame,
  ErrorCode,
  encodeDataFrameHeader,
  encodeFrame,
  encodeHeadersBlock,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  type GoAwayFrame,
  type HeadersFrame,
  isFrameError,
  isPrefaceError,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  type PingFrame,
  type PushPromiseFrame,
  type SettingsFrame,
  type WindowUpdateFrame,
} from '@h2ts/frames'
import { Decoder, Encoder, type HeaderField, isHpackError } from '@h2ts/hpack'
import { ConnectionError, StreamError, UsageError } from './errors.js'
import type { ConnectionEvent, HeadersKind } from './events.js'
import { type Fields, validateRequest, validateResponse, validateTrailers } from './headers.js'
import { RecentIds } from './recent-ids.js'
import { RoundRobinScheduler } from './scheduler/round-robin.js'
import type { WriteScheduler } from './scheduler/scheduler.js'
import { applySetting, INITIAL_SETTINGS, type Settings, settingsDiff } from './settings.js'
import { afterEndStream, RECEIVE_RULES, type StreamFrameKind, type StreamState } from './stream-state.js'

export type Role = 'client' | 'server'

/** Every abuse limit is a setting with a safe default (DESIGN.md "Errors"). */
export interface Limits {
  /** Largest decoded header list we accept (and advertise as SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderListSize: number
  /** Largest header block on the wire (HEADERS + CONTINUATION fragments); past it: ENHANCE_YOUR_CALM. */
  maxHeaderBlockSize: number
  /** Most CONTINUATION frames in one header block; past it: ENHANCE_YOUR_CALM (the CONTINUATION flood). */
  maxContinuationFrames: number
  /** Most control frames queued for the peer (PING/SETTINGS ACKs, RST_STREAM…) before ENHANCE_YOUR_CALM. */
  maxQueuedControlFrames: number
  /** `sendData` returns false once a stream has this many bytes queued. */
  streamHighWaterMark: number
  /** Queued bytes a stream may hold at most; beyond it `sendData` throws a UsageError. */
  maxStreamBufferedBytes: number
  /** Queued bytes the whole connection may hold at most; beyond it `sendData` throws a UsageError. */
  maxConnectionBufferedBytes: number
  /** Milliseconds to wait for the peer to acknowledge our SETTINGS before SETTINGS_TIMEOUT (§6.5.3). */
  settingsTimeout: number
  /** Milliseconds during which frames on a stream we reset are quietly discarded (§5.1 "closed"). */
  resetStreamGrace: number
  /** Most recently reset streams remembered for that grace period. */
  maxRecentlyReset: number
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHeaderListSize: 65536,
  maxHeaderBlockSize: 131072,
  maxContinuationFrames: 32,
  maxQueuedControlFrames: 10000,
  streamHighWaterMark: 65536,
  maxStreamBufferedBytes: 16 * 1024 * 1024,
  maxConnectionBufferedBytes: 64 * 1024 * 1024,
  settingsTimeout: 10000,
  resetStreamGrace: 10000,
  maxRecentlyReset: 1000,
})

export interface ConnectionOptions {
  role: Role
  /** Our settings; unspecified ones keep the protocol's initial values, except the role defaults below. */
  settings?: Partial<Settings>
  /**
   * Our connection-level receive window (default 65,535, the initial value). A larger one is announced
   * with a WINDOW_UPDATE on stream 0 right after our SETTINGS (§6.9.2).
   */
  connectionWindowSize?: number
  limits?: Partial<Limits>
  scheduler?: WriteScheduler
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number
  /**
   * Client: how many streams to open before the server's first SETTINGS says how many it allows (default
   * 100, as nghttp2 and Go do). The protocol's initial value is unlimited (§6.5.2), but a client that opens
   * hundreds of streams in its first flight gets most of them refused.
   */
  initialPeerMaxConcurrentStreams?: number
}

/** Our settings by default: a server allows 100 concurrent streams; a client refuses server push. */
function defaultSettings(role: Role, limits: Limits): Settings {
  return {
    ...INITIAL_SETTINGS,
    maxConcurrentStreams: role === 'server' ? 100 : INITIAL_SETTINGS.maxConcurrentStreams,
    enablePush: role === 'server',
    maxHeaderListSize: limits.maxHeaderListSize,
  }
}

type OutItem =
  | { kind: 'headers'; fields: HeaderField[]; endStream: boolean }
  | { kind: 'data'; data: Uint8Array; offset: number; endStream: boolean }
  /** RST_STREAM after what is queued before it (a reset that must not overtake a response). */
  | { kind: 'reset'; code: number; endStream: true }

class Stream {
  state: StreamState = 'idle'
  /**
   * The peer knows the stream: it opened it, or our opening HEADERS went out. A local stream still waiting
   * for concurrency is idle as far as the peer knows.
   */
  opened = false
  sendWindow: number
  /** How much more the peer may send before our next WINDOW_UPDATE. */
  recvWindow: number
  /** Consumed by the application, not yet released with WINDOW_UPDATE. */
  unreleased = 0
  /** Delivered in dataReceived events and not yet reported consumed. */
  unconsumed = 0
  readonly out: OutItem[] = []
  queuedBytes = 0
  /** sendData returned false: report streamDrained when the queue gets low. */
  wantsDrain = false
  /** Waiting for window (stream or connection): report windowUpdated when it comes. */
  blocked = false
  /** Receiving: a final (non-1xx) response or the request headers arrived. */
  gotHeaders = false
  contentLength: number | undefined
  received = 0
  /** Client: the request was HEAD, so the response has no content (§8.1.1). */
  headRequest = false
  /** Counted in the active streams of its initiator (§5.1.2). */
  counted = false

  constructor(
    readonly id: number,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow
    this.recvWindow = recvWindow
  }
}

interface PendingBlock {
  streamId: number
  endStream: boolean
  selfDependent: boolean
  parts: Uint8Array[]
  size: number
  frames: number
}

const PING_LENGTH = 8

export class Connection {
  readonly role: Role
  readonly #limits: Limits
  readonly #now: () => number
  readonly #scheduler: WriteScheduler
  readonly #decoder: FrameDecoder
  readonly #hpackIn: Decoder
  readonly #hpackOut = new Encoder()

  /** Our settings as the peer will know them once it acknowledges; and the peer's, in force. */
  #local: Settings
  readonly #remote: Settings = { ...INITIAL_SETTINGS }
  /** Our SETTINGS frames not yet acknowledged, oldest first, with when they were sent. */
  readonly #unacked: Array<{ settings: Settings; sentAt: number }> = []

  readonly #streams = new Map<number, Stream>()
  #nextLocalId: number
  #lastRemoteId = 0
  /** The highest peer stream id processed (not ignored after our GOAWAY), for GOAWAY's last-stream-id. */
  #lastProcessedRemoteId = 0
  /** Peer streams that were open and have closed (bounded), to tell them from never-used ids (§5.1.1). */
  readonly #closedRemote: RecentIds
  /** How many frames the constructor queued first (preface, SETTINGS): kept if we fail before writing. */
  readonly #initialFrames: number
  #wroteAnything = false
  /** Our SETTINGS_INITIAL_WINDOW_SIZE as the peer has acknowledged it. */
  #ackedInitialWindow: number
  #localActive = 0
  #remoteActive = 0
  /** Local streams whose opening HEADERS wait for concurrency, in id order. */
  readonly #pendingOpens: Stream[] = []
  /** Streams we reset a moment ago: id -> when the grace period ends. */
  readonly #recentlyReset: RecentIds

  #sendWindow = 65535
  #recvWindow: number
  readonly #connectionWindowSize: number
  #connectionUnreleased = 0
  /** Streams with data waiting for the connection window. */
  readonly #connectionBlocked = new Set<number>()
  #queuedBytes = 0

  readonly #urgent: Uint8Array[] = []
  readonly #control: Uint8Array[] = []
  #events: ConnectionEvent[] = []
  #block: PendingBlock | undefined
  readonly #pings = new Map<string, number>()
  #pingCounter = 0

  /** GOAWAY: the last stream id we said we would process, and whether the peer sent one. */
  #goAwaySent: number | undefined
  #goAwayReceived: number | undefined
  #shutdownPing: string | undefined
  #gotPeerSettings = false
  #failed: ConnectionError | undefined
  #finished = false

  constructor(options: ConnectionOptions) {
    this.role = options.role
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.#recentlyReset = new RecentIds(this.#limits.maxRecentlyReset)
    this.#closedRemote = new RecentIds(this.#limits.maxRecentlyReset)
    this.#now = options.now ?? Date.now
    this.#scheduler = options.scheduler ?? new RoundRobinScheduler()
    this.#nextLocalId = this.role === 'client' ? 1 : 2
    this.#local = { ...defaultSettings(this.role, this.#limits), ...options.settings }
    if (this.role === 'server' && options.settings?.enablePush === false) this.#local.enablePush = false
    this.#connectionWindowSize = options.connectionWindowSize ?? 65535
    if (!(this.#connectionWindowSize >= 65535 && this.#connectionWindowSize <= MAX_WINDOW_SIZE)) {
      throw new UsageError('bad-option', 'connectionWindowSize must be in 65535..2^31-1')
    }
    this.#recvWindow = 65535
    if (this.role === 'client')
      this.#remote.maxConcurrentStreams = options.initialPeerMaxConcurrentStreams ?? 100
    this.#decoder = new FrameDecoder({
      preface: this.role === 'server' ? 'client' : 'server',
      // Frames up to our new size may arrive as soon as the peer has read our SETTINGS (before its ACK).
      maxFrameSize: Math.max(INITIAL_SETTINGS.maxFrameSize, this.#local.maxFrameSize),
    })
    this.#hpackIn = new Decoder({
      maxHeaderListSize: this.#limits.maxHeaderListSize,
      // A single long value is a too-large header list (answered per stream, with 431), not an HPACK failure
      // that would end the connection: the block size limit already bounds what one string can be (a Huffman
      // string decodes to at most 8/5 of its bytes).
      maxStringLength: Math.ceil((this.#limits.maxHeaderBlockSize * 8) / 5),
    })

    // §3.4: a client starts with the preface; both sides then send SETTINGS first.
    if (this.role === 'client') this.#urgent.push(clientPreface())
    this.#sendSettings(settingsDiff(INITIAL_SETTINGS, this.#local), { ...this.#local })
    if (this.#connectionWindowSize > 65535) {
      this.#control.push(windowUpdate(0, this.#connectionWindowSize - 65535))
      this.#recvWindow = this.#connectionWindowSize
    }
    this.#initialFrames = this.#urgent.length
    this.#ackedInitialWindow = INITIAL_SETTINGS.initialWindowSize
  }

  // ---------------------------------------------------------------------------------------------------
  // Inspection

  /** Our settings (as sent; in force once acknowledged). */
  get localSettings(): Readonly<Settings> {
    return this.#local
  }

  /** The peer's settings in force. */
  get remoteSettings(): Readonly<Settings> {
    return this.#remote
  }

  /** Streams not yet closed (including local ones waiting for concurrency). */
  get activeStreams(): number {
    return this.#streams.size
  }

  /** True once nothing more will happen: write what `pullOutbound` gives, then close the transport. */
  get finished(): boolean {
    return this.#finished
  }

  /** The connection error that ended this connection, if one did. */
  get error(): ConnectionError | undefined {
    return this.#failed
  }

  streamState(streamId: number): StreamState {
    return this.#stateOf(streamId)
  }

  /** Bytes queued to send on the stream (not yet handed out by pullOutbound). */
  bufferedAmount(streamId: number): number {
    return this.#streams.get(streamId)?.queuedBytes ?? 0
  }

  /** How many bytes the stream could send now, by the stream and connection windows. */
  sendWindow(streamId: number): number {
    const s = this.#streams.get(streamId)
    return s === undefined ? 0 : Math.max(0, Math.min(s.sendWindow, this.#sendWindow))
  }

  /** Events queued by calls other than `receive` (which returns them itself). */
  takeEvents(): ConnectionEvent[] {
    const events = this.#events
    this.#events = []
    return events
  }

  // ---------------------------------------------------------------------------------------------------
  // Bytes in

  /**
   * Feeds bytes from the peer. Returns the events they caused (and any queued before). Byte fields of the
   * events are valid until the next call into the engine.
   */
  receive(bytes: Uint8Array): ConnectionEvent[] {
    if (this.#failed === undefined && !this.#finished) {
      try {
        for (const item of this.#decoder.push(bytes)) {
          if (isFrameError(item)) {
            // A stream-scope error the codec found alone (§6.3 PRIORITY length, §6.9 zero increment). It is
            // a connection error where the stream context makes it one: inside a header block (§6.10), or
            // on an idle stream, where RST_STREAM must not be sent (§6.4).
            if (this.#block !== undefined) {
              throw new ConnectionError(
                ErrorCode.PROTOCOL_ERROR,
                'header-block-interrupted',
                'expected CONTINUATION',
              )
            }
            if (this.#stateOf(item.streamId) === 'idle') {
              // A bad PRIORITY keeps its code (FRAME_SIZE_ERROR, §6.3); anything else on an idle stream is a
              // PROTOCOL_ERROR (§5.1).
              const code = item.frameType === FrameType.PRIORITY ? item.code : ErrorCode.PROTOCOL_ERROR
              throw new ConnectionError(code, `${item.reason}-on-idle-stream`, item.message)
            }
            this.#streamError(new StreamError(item.streamId, item.code, item.reason, item.message))
            continue
          }
          this.#onFrame(item)
          if (this.#failed !== undefined) break
        }
      } catch (error) {
        this.#fail(toConnectionError(error))
      }
    }
    return this.takeEvents()
  }

  #onFrame(frame: Frame): void {
    const block = this.#block
    if (block !== undefined) {
      // §6.10: nothing but CONTINUATION on the same stream until END_HEADERS.
      if (frame.type !== FrameType.CONTINUATION || frame.streamId !== block.streamId) {
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          'header-block-interrupted',
          'expected CONTINUATION',
        )
      }
    }
    switch (frame.type) {
      case FrameType.DATA:
        this.#onData(frame as DataFrame)
        return
      case FrameType.HEADERS:
        this.#startBlock(frame as HeadersFrame)
        return
      case FrameType.CONTINUATION:
        this.#onContinuation(frame.streamId, (frame as { fragment: Uint8Array }).fragment, frame.flags)
        return
      case FrameType.PRIORITY:
        // Accepted in every state (§5.1); the RFC 7540 tree is optional (§5.3.2). A stream depending on
        // itself is a stream PROTOCOL_ERROR (§5.3.1).
        if ((frame as { priority: { dependency: number } }).priority.dependency === frame.streamId) {
          this.#streamError(
            new StreamError(
              frame.streamId,
              ErrorCode.PROTOCOL_ERROR,
              'self-dependency',
              'stream depends on itself',
            ),
          )
        }
        return
      case FrameType.RST_STREAM:
        this.#onRstStream(frame.streamId, (frame as { errorCode: number }).errorCode)
        return
      case FrameType.SETTINGS:
        this.#onSettings(frame as SettingsFrame)
        return
      case FrameType.PUSH_PROMISE:
        this.#onPushPromise(frame as PushPromiseFrame)
        return
      case FrameType.PING:
        this.#onPing(frame as PingFrame)
        return
      case FrameType.GOAWAY:
        this.#onGoAway(frame as GoAwayFrame)
        return
      case FrameType.WINDOW_UPDATE:
        this.#onWindowUpdate(frame as WindowUpdateFrame)
        return
      default:
        // §4.1, §5.5: unknown frame types (and extension frames we do not use) are ignored.
        return
    }
  }

  #checkRule(streamId: number, state: StreamState, kind: StreamFrameKind): boolean {
    const rule = RECEIVE_RULES[state][kind]
    if (rule.accept) return true
    if (rule.scope === 'connection')
      throw new ConnectionError(rule.code, rule.reason, `${kind} on stream ${streamId} (${state})`)
    this.#streamError(new StreamError(streamId, rule.code, rule.reason, `${kind} in state ${state}`))
    return false
  }

  // --- DATA (§6.1) -------------------------------------------------------------------------------------

  #onData(frame: DataFrame): void {
    const id = frame.streamId
    // Padding and the pad length octet count toward flow control (§6.9.1).
    const flowLength =
      frame.padLength === undefined ? frame.data.length : frame.data.length + frame.padLength + 1
    if (flowLength > this.#recvWindow) {
      throw new ConnectionError(
        ErrorCode.FLOW_CONTROL_ERROR,
        'connection-window-exceeded',
        `${flowLength} bytes, window ${this.#recvWindow}`,
      )
    }
    this.#recvWindow -= flowLength
    const stream = this.#streams.get(id)
    if (stream === undefined || !stream.opened) {
      // Not delivered: release its share of the connection window at once.
      this.#releaseConnection(flowLength)
      if (this.#recentlyReset.has(id) && !this.#expiredReset(id)) return
      this.#checkRule(id, this.#stateOf(id), 'DATA')
      return
    }
    if (!this.#checkRule(id, stream.state, 'DATA')) {
      this.#releaseConnection(flowLength)
      return
    }
    if (flowLength > stream.recvWindow) {
      this.#releaseConnection(flowLength)
      this.#streamError(
        new StreamError(
          id,
          ErrorCode.FLOW_CONTROL_ERROR,
          'stream-window-exceeded',
          `${flowLength} bytes, window ${stream.recvWindow}`,
        ),
      )
      return
    }
    stream.recvWindow -= flowLength
    if (flowLength > frame.data.length) {
      // Padding is never delivered: give its share of both windows back at once (§6.9.1 counts it).
      const padding = flowLength - frame.data.length
      this.#releaseStream(stream, padding)
      this.#releaseConnection(padding)
    }
    if (!stream.gotHeaders) {
      // §8.1: DATA before the (final) header section.
      this.#releaseConnection(frame.data.length)
      this.#streamError(
        new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'data-before-headers', 'DATA before HEADERS'),
      )
      return
    }
    stream.received += frame.data.length
    const endStream = (frame.flags & Flags.END_STREAM) !== 0
    if (
      stream.contentLength !== undefined &&
      (stream.received > stream.contentLength || (endStream && stream.received !== stream.contentLength))
    ) {
      this.#releaseConnection(frame.data.length)
      // §8.1.1: content-length that does not match the DATA is malformed.
      this.#streamError(
        new StreamError(
          id,
          ErrorCode.PROTOCOL_ERROR,
          'content-length-mismatch',
          `content-length ${stream.contentLength}, got ${stream.received}`,
        ),
      )
      return
    }
    stream.unconsumed += frame.data.length
    this.#events.push({ type: 'dataReceived', streamId: id, data: frame.data, endStream })
    if (endStream) this.#endRemote(stream)
  }

  // --- Header blocks: HEADERS / PUSH_PROMISE + CONTINUATION (§6.2, §6.6, §6.10) --------------------------

  #startBlock(frame: HeadersFrame): void {
    const block: PendingBlock = {
      streamId: frame.streamId,
      endStream: (frame.flags & Flags.END_STREAM) !== 0,
      // §5.3.1: a stream cannot depend on itself. The block is still decoded (HPACK state) before the reset.
      selfDependent: frame.priority !== undefined && frame.priority.dependency === frame.streamId,
      parts: [],
      size: 0,
      frames: 1,
    }
    if (frame.flags & Flags.END_HEADERS) {
      this.#onHeaderBlock(block, frame.fragment)
      return
    }
    this.#addFragment(block, frame.fragment)
    this.#block = block
  }

  #onContinuation(streamId: number, fragment: Uint8Array, flags: number): void {
    const block = this.#block
    if (block === undefined) {
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        'unexpected-continuation',
        `CONTINUATION on stream ${streamId} without a header block`,
      )
    }
    block.frames++
    if (block.frames - 1 > this.#limits.maxContinuationFrames) {
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        'too-many-continuations',
        `more than ${this.#limits.maxContinuationFrames} CONTINUATION frames`,
      )
    }
    this.#addFragment(block, fragment)
    if ((flags & Flags.END_HEADERS) === 0) return
    this.#block = undefined
    const whole = new Uint8Array(block.size)
    let at = 0
    for (const part of block.parts) {
      whole.set(part, at)
      at += part.length
    }
    this.#onHeaderBlock(block, whole)
  }

  #addFragment(block: PendingBlock, fragment: Uint8Array): void {
    block.size += fragment.length
    if (block.size > this.#limits.maxHeaderBlockSize) {
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        'header-block-too-large',
        `header block over ${this.#limits.maxHeaderBlockSize} bytes`,
      )
    }
    // Fragments are views of the input, which does not outlive this call: keep a copy.
    block.parts.push(fragment.slice())
  }

  /** Decodes a complete header block, then applies it to its stream. */
  #onHeaderBlock(block: PendingBlock, bytes: Uint8Array): void {
    let fields: HeaderField[] | undefined
    let tooLarge = false
    try {
      fields = this.#hpackIn.decodeFields(bytes)
    } catch (error) {
      if (!isHpackError(error)) throw error
      // §4.3: an HPACK failure leaves the tables out of step: the connection cannot go on.
      if (error.fatal)
        throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, `hpack-${error.reason}`, error.message)
      tooLarge = true
    }
    this.#onHeaders(block.streamId, fields ?? [], block.endStream, tooLarge, block.selfDependent)
  }

  #onHeaders(
    id: number,
    fields: HeaderField[],
    endStream: boolean,
    tooLarge: boolean,
    selfDependent: boolean,
  ): void {
    const stream = this.#streams.get(id)
    if (stream === undefined || !stream.opened) {
      if (this.#stateOf(id) === 'idle') {
        this.#openRemote(id, fields, endStream, tooLarge, selfDependent)
        return
      }
      if (this.#recentlyReset.has(id) && !this.#expiredReset(id)) return
      if (!this.#isLocalId(id) && !this.#closedRemote.has(id)) {
        // §5.1.1: a peer id at or below one it already used, that never carried a stream, is not
        // increasing: PROTOCOL_ERROR (a stream that really was open and closed gets STREAM_CLOSED below).
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          'stream-id-not-increasing',
          `HEADERS on stream ${id} after ${this.#lastRemoteId}`,
        )
      }
      this.#checkRule(id, 'closed', 'HEADERS')
      return
    }
    if (!this.#checkRule(id, stream.state, 'HEADERS')) return
    if (selfDependent) {
      this.#streamError(
        new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'self-dependency', 'stream depends on itself'),
      )
      return
    }
    if (tooLarge) {
      this.#streamError(
        new StreamError(id, ErrorCode.ENHANCE_YOUR_CALM, 'header-list-too-large', 'header list too large'),
      )
      return
    }
    try {
      if (this.role === 'client' && !stream.gotHeaders) {
        const response = validateResponse(id, fields)
        const informational = response.status < 200
        if (informational && endStream) {
          throw new StreamError(
            id,
            ErrorCode.PROTOCOL_ERROR,
            'informational-end-stream',
            '1xx response with END_STREAM',
          )
        }
        if (!informational) {
          stream.gotHeaders = true
          // §8.1.1: HEAD responses and 204/304 carry no content whatever content-length says.
          const noContent = stream.headRequest || response.status === 204 || response.status === 304
          stream.contentLength = noContent ? 0 : response.contentLength
          if (noContent) stream.received = 0
        }
        const kind: HeadersKind = informational ? 'informational' : 'response'
        if (
          endStream &&
          stream.contentLength !== undefined &&
          stream.contentLength !== 0 &&
          !stream.headRequest
        ) {
          throw new StreamError(
            id,
            ErrorCode.PROTOCOL_ERROR,
            'content-length-mismatch',
            'END_STREAM before content-length bytes',
          )
        }
        this.#events.push({ type: 'headersReceived', streamId: id, kind, fields, endStream, response })
      } else {
        // §8.1: a header section after the first (or after the final response) is trailers: it ends the
        // stream, and carries no pseudo-header fields.
        if (!endStream)
          throw new StreamError(
            id,
            ErrorCode.PROTOCOL_ERROR,
            'trailers-without-end-stream',
            'trailers without END_STREAM',
          )
        validateTrailers(id, fields)
        if (stream.contentLength !== undefined && stream.received !== stream.contentLength) {
          throw new StreamError(
            id,
            ErrorCode.PROTOCOL_ERROR,
            'content-length-mismatch',
            `content-length ${stream.contentLength}, got ${stream.received}`,
          )
        }
        this.#events.push({ type: 'headersReceived', streamId: id, kind: 'trailers', fields, endStream })
      }
    } catch (error) {
      if (!(error instanceof StreamError)) throw error
      this.#streamError(error)
      return
    }
    if (endStream) this.#endRemote(stream)
  }

  /** A HEADERS frame on an idle stream: the peer opens a stream (§5.1.1, §5.1.2). */
  #openRemote(
    id: number,
    fields: HeaderField[],
    endStream: boolean,
    tooLarge: boolean,
    selfDependent: boolean,
  ): void {
    if (this.role === 'client') {
      // Servers open streams only with PUSH_PROMISE (§8.4).
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        'server-opened-stream',
        `HEADERS on idle stream ${id}`,
      )
    }
    if (id % 2 === 0) {
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        'even-stream-id',
        `client stream ids are odd, got ${id}`,
      )
    }
    this.#lastRemoteId = id
    if (this.#goAwaySent !== undefined && id > this.#goAwaySent) {
      // §6.8: after GOAWAY, new streams above its last stream id are ignored (HPACK state is kept).
      return
    }
    this.#lastProcessedRemoteId = id
    const refuse = (code: number, reason: string, message: string) => {
      this.#rememberReset(id)
      this.#queueControl(rstStream(id, code))
      this.#events.push({
        type: 'streamReset',
        streamId: id,
        code,
        origin: 'local',
        error: new StreamError(id, code, reason, message, 'local', code === ErrorCode.REFUSED_STREAM),
        retryable: code === ErrorCode.REFUSED_STREAM,
      })
    }
    if (this.#remoteActive >= this.#local.maxConcurrentStreams) {
      // §5.1.2: over our limit; REFUSED_STREAM tells the client it may retry.
      refuse(
        ErrorCode.REFUSED_STREAM,
        'too-many-streams',
        `over SETTINGS_MAX_CONCURRENT_STREAMS ${this.#local.maxConcurrentStreams}`,
      )
      return
    }
    if (selfDependent) {
      refuse(ErrorCode.PROTOCOL_ERROR, 'self-dependency', 'stream depends on itself')
      return
    }
    if (tooLarge) {
      // §10.5.1: answer 431 rather than a bare reset, so the client learns why.
      const stream = this.#newStream(id)
      stream.state = endStream ? 'half-closed-remote' : 'open'
      stream.opened = true
      stream.counted = true
      this.#remoteActive++
      this.sendHeaders(id, [[':status', '431']], { endStream: true })
      // §8.1: the response is complete, so RST_STREAM(NO_ERROR) may then stop the rest of the request.
      if (!endStream) stream.out.push({ kind: 'reset', code: ErrorCode.NO_ERROR, endStream: true })
      return
    }
    let request: ReturnType<typeof validateRequest>
    try {
      request = validateRequest(id, fields, this.#local.enableConnectProtocol)
    } catch (error) {
      if (!(error instanceof StreamError)) throw error
      refuse(error.code, error.reason, error.message)
      return
    }
    const stream = this.#newStream(id)
    stream.state = endStream ? 'half-closed-remote' : 'open'
    stream.opened = true
    stream.gotHeaders = true
    stream.contentLength = request.contentLength
    stream.counted = true
    this.#remoteActive++
    if (endStream && request.contentLength !== undefined && request.contentLength !== 0) {
      this.#streamError(
        new StreamError(
          id,
          ErrorCode.PROTOCOL_ERROR,
          'content-length-mismatch',
          'END_STREAM before content-length bytes',
        ),
      )
      return
    }
    this.#events.push({ type: 'headersReceived', streamId: id, kind: 'request', fields, endStream, request })
  }

  #onPushPromise(frame: PushPromiseFrame): void {
    // §8.4: only servers push, and only when the client allows it. This client never enables push yet.
    const reason = this.role === 'server' ? 'push-promise-from-client' : 'push-disabled'
    throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, reason, `PUSH_PROMISE on stream ${frame.streamId}`)
  }

  // --- RST_STREAM (§6.4) -------------------------------------------------------------------------------

  #onRstStream(id: number, code: number): void {
    const stream = this.#streams.get(id)
    if (stream === undefined || !stream.opened) {
      this.#checkRule(id, this.#stateOf(id), 'RST_STREAM')
      return
    }
    this.#events.push({
      type: 'streamReset',
      streamId: id,
      code,
      origin: 'remote',
      retryable: code === ErrorCode.REFUSED_STREAM,
    })
    this.#close(stream)
  }

  // --- SETTINGS (§6.5) ---------------------------------------------------------------------------------

  #onSettings(frame: SettingsFrame): void {
    if (frame.flags & Flags.ACK) {
      const acked = this.#unacked.shift()
      if (acked === undefined) return // unsolicited: nothing to apply
      this.#applyAcknowledged(acked.settings)
      this.#events.push({ type: 'settingsAcknowledged' })
      return
    }
    const previousWindow = this.#remote.initialWindowSize
    if (!this.#gotPeerSettings) {
      // The peer's real limit replaces our cautious assumption; absent from its SETTINGS, it is unlimited.
      this.#gotPeerSettings = true
      this.#remote.maxConcurrentStreams = INITIAL_SETTINGS.maxConcurrentStreams
    }
    for (const setting of frame.settings) {
      if (setting.id === 0x2 /* ENABLE_PUSH */ && setting.value === 1 && this.role === 'client') {
        // §6.5.2: a server must not send ENABLE_PUSH = 1.
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          'server-enabled-push',
          'SETTINGS_ENABLE_PUSH = 1 from a server',
        )
      }
      applySetting(this.#remote, setting)
    }
    const delta = this.#remote.initialWindowSize - previousWindow
    if (delta !== 0) {
      // §6.9.2: the change applies to every stream's send window, which may go negative.
      for (const stream of this.#streams.values()) {
        stream.sendWindow += delta
        if (stream.sendWindow > MAX_WINDOW_SIZE) {
          throw new ConnectionError(
            ErrorCode.FLOW_CONTROL_ERROR,
            'initial-window-overflow',
            `stream ${stream.id} window past 2^31-1`,
          )
        }
        if (delta > 0 && stream.blocked) this.#unblock(stream)
      }
    }
    this.#hpackOut.setMaxTableSize(this.#remote.headerTableSize)
    this.#queueUrgent(encodeFrame({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] }))
    this.#events.push({ type: 'settingsReceived', settings: { ...this.#remote } })
  }

  /** Our SETTINGS took effect on the peer's side (§6.5.3). */
  #applyAcknowledged(settings: Settings): void {
    this.#hpackIn.setMaxTableSize(settings.headerTableSize)
    this.#decoder.setMaxFrameSize(settings.maxFrameSize)
    const before = Math.max(this.#ackedInitialWindow, settings.initialWindowSize)
    this.#ackedInitialWindow = settings.initialWindowSize
    const shrink = before - Math.max(this.#local.initialWindowSize, settings.initialWindowSize)
    if (shrink > 0) {
      // A smaller initial window now binds: every stream's receive window shrinks by the difference.
      for (const stream of this.#streams.values()) stream.recvWindow -= shrink
    }
  }

  #sendSettings(entries: Array<{ id: number; value: number }>, settings: Settings): void {
    this.#urgent.push(encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: entries }))
    this.#unacked.push({ settings, sentAt: this.#now() })
  }

  // --- PING (§6.7) -------------------------------------------------------------------------------------

  #onPing(frame: PingFrame): void {
    if (frame.flags & Flags.ACK) {
      const key = pingKey(frame.data)
      const sentAt = this.#pings.get(key)
      if (sentAt === undefined) return // §6.7: an unsolicited ACK is ignored
      this.#pings.delete(key)
      if (key === this.#shutdownPing) this.#finishShutdown()
      this.#events.push({ type: 'pingAcknowledged', data: frame.data.slice(), rtt: this.#now() - sentAt })
      return
    }
    this.#queueUrgent(encodeFrame({ type: FrameType.PING, flags: Flags.ACK, streamId: 0, data: frame.data }))
  }

  // --- GOAWAY (§6.8) -----------------------------------------------------------------------------------

  #onGoAway(frame: GoAwayFrame): void {
    const last = frame.lastStreamId
    this.#goAwayReceived = Math.min(this.#goAwayReceived ?? MAX_STREAM_ID, last)
    this.#events.push({
      type: 'goAwayReceived',
      lastStreamId: last,
      code: frame.errorCode,
      debugData: frame.debugData.slice(),
    })
    // Our streams above `last` were not and will not be processed: safe to retry elsewhere (§8.7).
    for (const stream of [...this.#streams.values()]) {
      if (this.#isLocalId(stream.id) && stream.id > last) {
        this.#events.push({
          type: 'streamReset',
          streamId: stream.id,
          code: ErrorCode.REFUSED_STREAM,
          origin: 'remote',
          retryable: true,
        })
        this.#close(stream, false)
      }
    }
    this.#checkFinished()
  }

  // --- WINDOW_UPDATE (§6.9) ----------------------------------------------------------------------------

  #onWindowUpdate(frame: WindowUpdateFrame): void {
    const id = frame.streamId
    if (id === 0) {
      if (this.#sendWindow + frame.increment > MAX_WINDOW_SIZE) {
        throw new ConnectionError(
          ErrorCode.FLOW_CONTROL_ERROR,
          'connection-window-overflow',
          'connection window past 2^31-1',
        )
      }
      this.#sendWindow += frame.increment
      if (this.#sendWindow > 0) {
        for (const blockedId of this.#connectionBlocked) {
          const stream = this.#streams.get(blockedId)
          if (stream !== undefined) this.#unblock(stream)
        }
        this.#connectionBlocked.clear()
      }
      return
    }
    const stream = this.#streams.get(id)
    if (stream === undefined || !stream.opened) {
      this.#checkRule(id, this.#stateOf(id), 'WINDOW_UPDATE')
      return
    }
    if (!this.#checkRule(id, stream.state, 'WINDOW_UPDATE')) return
    if (stream.sendWindow + frame.increment > MAX_WINDOW_SIZE) {
      this.#streamError(
        new StreamError(
          id,
          ErrorCode.FLOW_CONTROL_ERROR,
          'stream-window-overflow',
          'stream window past 2^31-1',
        ),
      )
      return
    }
    stream.sendWindow += frame.increment
    if (stream.blocked && stream.sendWindow > 0) this.#unblock(stream)
  }

  #unblock(stream: Stream): void {
    stream.blocked = false
    if (stream.out.length > 0) this.#scheduler.push(stream.id)
    this.#events.push({ type: 'windowUpdated', streamId: stream.id })
  }

  // ---------------------------------------------------------------------------------------------------
  // Commands

  /**
   * Client: opens a stream with a request. Returns its id. The HEADERS go out when the peer's
   * SETTINGS_MAX_CONCURRENT_STREAMS allows (§5.1.2); until then the request waits, in order.
   */
  request(fields: Fields, options: { endStream?: boolean } = {}): number {
    if (this.role !== 'client') throw new UsageError('not-a-client', 'only a client sends requests')
    this.#assertOpen()
    if (this.#goAwayReceived !== undefined || this.#goAwaySent !== undefined) {
      throw new UsageError('connection-closing', 'the connection is going away: no new streams')
    }
    if (this.#nextLocalId > MAX_STREAM_ID) {
      throw new UsageError(
        'stream-ids-exhausted',
        'no stream ids left on this connection (§5.1.1): open a new one',
      )
    }
    const head = usage(() => validateRequest(this.#nextLocalId, fields, this.#remote.enableConnectProtocol))
    const id = this.#nextLocalId
    this.#nextLocalId += 2
    const stream = this.#newStream(id)
    stream.headRequest = head.method === 'HEAD'
    stream.out.push({ kind: 'headers', fields: [...fields], endStream: options.endStream === true })
    this.#pendingOpens.push(stream)
    if (this.#nextLocalId > MAX_STREAM_ID) {
      // §5.1.1: ids cannot be reused; once they run out the connection must be replaced.
      this.shutdown()
    }
    return id
  }

  /** Sends a header section on a stream: a response (1xx or final) or trailers (with endStream). */
  sendHeaders(streamId: number, fields: Fields, options: { endStream?: boolean } = {}): void {
    this.#assertOpen()
    const stream = this.#writable(streamId)
    const first = fields[0]
    if (first !== undefined && first[0] === ':status') usage(() => validateResponse(streamId, fields))
    else usage(() => validateTrailers(streamId, fields))
    this.#enqueue(stream, { kind: 'headers', fields: [...fields], endStream: options.endStream === true })
  }

  /**
   * Queues DATA on a stream. The bytes are sent by reference (do not modify them until they are pulled).
   * Returns false when the stream has `streamHighWaterMark` bytes or more queued: wait for `streamDrained`.
   */
  sendData(streamId: number, data: Uint8Array, options: { endStream?: boolean } = {}): boolean {
    this.#assertOpen()
    const stream = this.#writable(streamId)
    if (
      stream.queuedBytes + data.length > this.#limits.maxStreamBufferedBytes ||
      this.#queuedBytes + data.length > this.#limits.maxConnectionBufferedBytes
    ) {
      throw new UsageError(
        'buffer-full',
        `stream ${streamId}: more than the buffered-bytes limit queued; wait for streamDrained`,
      )
    }
    const last = stream.out.at(-1)
    if (data.length === 0 && options.endStream === true && last?.kind === 'data') {
      // end() after write(): END_STREAM rides on the queued DATA instead of an empty frame of its own.
      last.endStream = true
      return stream.queuedBytes < this.#limits.streamHighWaterMark
    }
    this.#enqueue(stream, { kind: 'data', data, offset: 0, endStream: options.endStream === true })
    stream.queuedBytes += data.length
    this.#queuedBytes += data.length
    if (stream.queuedBytes >= this.#limits.streamHighWaterMark) {
      stream.wantsDrain = true
      return false
    }
    return true
  }

  /** Resets a stream (RST_STREAM, §6.4): queued frames for it are dropped. */
  resetStream(streamId: number, code: number = ErrorCode.CANCEL): void {
    const stream = this.#streams.get(streamId)
    if (stream === undefined) return
    if (!stream.opened) {
      // Never sent: the peer has not heard of it, so no RST_STREAM (that would be on an idle stream).
      this.#close(stream, false)
      return
    }
    this.#rememberReset(streamId)
    this.#queueControl(rstStream(streamId, code))
    this.#close(stream)
  }

  /**
   * The application has taken `n` bytes of the stream's DATA: this is what releases flow-control window.
   * WINDOW_UPDATE frames are batched: sent once half of a window has been consumed.
   */
  consumed(streamId: number, n: number): void {
    const stream = this.#streams.get(streamId)
    // A closed stream gave back its unconsumed bytes when it closed (see #close).
    if (stream === undefined) return
    n = Math.min(n, stream.unconsumed)
    if (n <= 0) return
    stream.unconsumed -= n
    this.#releaseStream(stream, n)
    this.#releaseConnection(n)
  }

  /** Gives `n` bytes of a stream's receive window back, batched into WINDOW_UPDATEs of half a window. */
  #releaseStream(stream: Stream, n: number): void {
    // Once the peer has ended the stream no more DATA can come: no point in a WINDOW_UPDATE.
    if (stream.state === 'half-closed-remote' || stream.state === 'closed') return
    stream.unreleased += n
    if (stream.unreleased >= this.#local.initialWindowSize / 2) {
      this.#queueControl(windowUpdate(stream.id, stream.unreleased))
      stream.recvWindow += stream.unreleased
      stream.unreleased = 0
    }
  }

  /** Sends a PING (§6.7); its ACK is reported as `pingAcknowledged` with the round-trip time. */
  ping(data?: Uint8Array): Uint8Array {
    this.#assertOpen()
    const payload = data ?? new Uint8Array(PING_LENGTH)
    if (payload.length !== PING_LENGTH) throw new UsageError('bad-ping', 'PING data is 8 bytes')
    if (data === undefined) writeCounter(payload, ++this.#pingCounter)
    this.#pings.set(pingKey(payload), this.#now())
    this.#queueControl(encodeFrame({ type: FrameType.PING, flags: 0, streamId: 0, data: payload }))
    return payload
  }

  /** Changes our settings: sends SETTINGS with what differs; applied as §6.5.3 says once acknowledged. */
  updateSettings(changes: Partial<Settings>): void {
    this.#assertOpen()
    const next = { ...this.#local, ...changes }
    const entries = settingsDiff(this.#local, next)
    if (entries.length === 0) return
    if (next.maxFrameSize > this.#decoder.maxFrameSize) this.#decoder.setMaxFrameSize(next.maxFrameSize)
    const grow = next.initialWindowSize - Math.max(this.#local.initialWindowSize, this.#ackedInitialWindow)
    if (grow > 0) {
      // §6.9.2: the peer may use a larger window as soon as it reads our SETTINGS; a smaller one only
      // binds once it acknowledges (#applyAcknowledged).
      for (const stream of this.#streams.values()) stream.recvWindow += grow
    }
    this.#local = next
    this.#sendSettings(entries, { ...next })
  }

  /** Ends the connection now: GOAWAY with the last stream we processed and `code` (§6.8). */
  goAway(code: number = ErrorCode.NO_ERROR, debug = ''): void {
    if (this.#finished) return
    if (code !== ErrorCode.NO_ERROR) {
      // Ending with an error is a connection error of the application's making: open streams fail too.
      this.#fail(
        new ConnectionError(code, 'application-goaway', debug || 'closed by the application', 'application'),
        debug,
      )
      return
    }
    const last = this.#lastGoAwayId()
    this.#goAwaySent = last
    this.#queueUrgent(goAwayFrame(last, code, debug))
    this.#checkFinished()
  }

  /**
   * Graceful shutdown in two steps (§6.8, as nghttp2 and Go do): a GOAWAY with 2^31-1 says "no new
   * streams"; after a PING round trip, when every stream the peer sent in the meantime has arrived, the
   * final GOAWAY names the last one. Open streams finish; then `connectionFinished`.
   */
  shutdown(): void {
    if (this.#finished || this.#goAwaySent !== undefined || this.#shutdownPing !== undefined) return
    if (this.role === 'client') {
      // A client's GOAWAY names the last server-initiated (pushed) stream it processed: 2^31-1 would be an
      // id of the client's own parity, which peers reject. Nothing is in flight to wait for: one step.
      this.goAway(ErrorCode.NO_ERROR)
      return
    }
    this.#queueUrgent(goAwayFrame(MAX_STREAM_ID, ErrorCode.NO_ERROR, ''))
    this.#shutdownPing = pingKey(this.ping())
  }

  #finishShutdown(): void {
    this.#shutdownPing = undefined
    this.goAway(ErrorCode.NO_ERROR)
  }

  // ---------------------------------------------------------------------------------------------------
  // Time

  /** When `tick` should next be called (engine clock), or undefined. */
  nextDeadline(): number | undefined {
    const oldest = this.#unacked[0]
    return oldest === undefined || this.#failed !== undefined
      ? undefined
      : oldest.sentAt + this.#limits.settingsTimeout
  }

  /** Lets time-based rules run: the SETTINGS ACK timeout (§6.5.3). */
  tick(): ConnectionEvent[] {
    const oldest = this.#unacked[0]
    if (
      oldest !== undefined &&
      this.#failed === undefined &&
      this.#now() - oldest.sentAt >= this.#limits.settingsTimeout
    ) {
      this.#fail(
        new ConnectionError(
          ErrorCode.SETTINGS_TIMEOUT,
          'settings-timeout',
          `no SETTINGS ACK within ${this.#limits.settingsTimeout} ms`,
        ),
      )
    }
    return this.takeEvents()
  }

  // ---------------------------------------------------------------------------------------------------
  // Bytes out

  /** True when `pullOutbound` has something to give. */
  get wantsWrite(): boolean {
    if (this.#urgent.length > 0 || this.#control.length > 0) return true
    if (this.#failed !== undefined) return false
    if (this.#pendingOpens.length > 0 && this.#localActive < this.#remote.maxConcurrentStreams) return true
    return this.#scheduler.hasReady()
  }

  /**
   * The next bytes to write, as a list of chunks (DATA payloads are handed through by reference), about
   * `maxBytes` in all. An empty list when there is nothing to send now.
   */
  pullOutbound(maxBytes = 256 * 1024): Uint8Array[] {
    this.#wroteAnything = true
    const out: Uint8Array[] = []
    let budget = maxBytes
    for (const frame of this.#urgent) {
      out.push(frame)
      budget -= frame.length
    }
    this.#urgent.length = 0
    for (const frame of this.#control) {
      out.push(frame)
      budget -= frame.length
    }
    this.#control.length = 0
    if (this.#failed !== undefined) return out

    // Stream-opening HEADERS, in id order, as far as the peer's concurrency limit allows (§5.1.2).
    while (this.#pendingOpens.length > 0 && this.#localActive < this.#remote.maxConcurrentStreams) {
      const stream = this.#pendingOpens.shift()!
      stream.opened = true
      stream.state = 'open'
      stream.counted = true
      this.#localActive++
      this.#scheduler.push(stream.id)
    }

    while (budget > 0) {
      const id = this.#scheduler.pop()
      if (id === undefined) break
      const stream = this.#streams.get(id)
      if (stream === undefined || stream.out.length === 0) continue
      const written = this.#writeOne(stream, out)
      budget -= written
      if (stream.out.length > 0 && !stream.blocked && this.#streams.has(id)) this.#scheduler.push(id)
    }
    this.#checkFinished()
    return out
  }

  /** Writes the stream's next frame (or frames, for a header block). Returns the bytes written. */
  #writeOne(stream: Stream, out: Uint8Array[]): number {
    const item = stream.out[0]!
    if (item.kind === 'reset') {
      const frame = rstStream(stream.id, item.code)
      out.push(frame)
      this.#rememberReset(stream.id)
      this.#close(stream)
      return frame.length
    }
    if (item.kind === 'headers') {
      stream.out.shift()
      // HPACK blocks must be encoded in the order they go on the wire.
      const block = this.#hpackOut.encode(item.fields)
      const bytes = encodeHeadersBlock({
        streamId: stream.id,
        block,
        maxFrameSize: this.#remote.maxFrameSize,
        endStream: item.endStream,
      })
      out.push(bytes)
      if (item.endStream) this.#endLocal(stream)
      return bytes.length
    }
    const remaining = item.data.length - item.offset
    let n = Math.min(remaining, stream.sendWindow, this.#sendWindow, this.#remote.maxFrameSize)
    if (remaining > 0 && n <= 0) {
      // Out of window: park the stream until a WINDOW_UPDATE (stream or connection) arrives.
      stream.blocked = true
      if (stream.sendWindow > 0) this.#connectionBlocked.add(stream.id)
      return 0
    }
    n = Math.max(0, n)
    const last = item.offset + n === item.data.length
    const endStream = last && item.endStream
    const header = new Uint8Array(9)
    encodeDataFrameHeader(header, 0, stream.id, n, endStream)
    out.push(header)
    if (n > 0) out.push(item.data.subarray(item.offset, item.offset + n))
    item.offset += n
    stream.sendWindow -= n
    this.#sendWindow -= n
    stream.queuedBytes -= n
    this.#queuedBytes -= n
    if (last) stream.out.shift()
    if (stream.wantsDrain && stream.queuedBytes < this.#limits.streamHighWaterMark / 2) {
      stream.wantsDrain = false
      this.#events.push({ type: 'streamDrained', streamId: stream.id })
    }
    if (endStream) this.#endLocal(stream)
    return 9 + n
  }

  // ---------------------------------------------------------------------------------------------------
  // Stream bookkeeping

  #newStream(id: number): Stream {
    // Until the peer acknowledges a smaller initial window it may still use the larger one (§6.9.2).
    const recvWindow = Math.max(this.#local.initialWindowSize, this.#ackedInitialWindow)
    const stream = new Stream(id, this.#remote.initialWindowSize, recvWindow)
    this.#streams.set(id, stream)
    return stream
  }

  #isLocalId(id: number): boolean {
    return (id % 2 === 1) === (this.role === 'client')
  }

  /** A stream's state as the peer sees it: a local stream still waiting for concurrency is idle. */
  #stateOf(id: number): StreamState {
    const stream = this.#streams.get(id)
    if (stream !== undefined) return stream.opened ? stream.state : 'idle'
    return this.#isIdle(id) ? 'idle' : 'closed'
  }

  /** Whether a stream id not in the map is idle (never used) rather than closed (§5.1.1). */
  #isIdle(id: number): boolean {
    return this.#isLocalId(id) ? id >= this.#nextLocalId : id > this.#lastRemoteId
  }

  #writable(streamId: number): Stream {
    const stream = this.#streams.get(streamId)
    if (stream === undefined) throw new UsageError('stream-closed', `stream ${streamId} is not open`)
    if (
      stream.state === 'half-closed-local' ||
      stream.state === 'closed' ||
      stream.out.at(-1)?.endStream === true
    ) {
      throw new UsageError('stream-ended', `stream ${streamId}: already ended on our side`)
    }
    return stream
  }

  #enqueue(stream: Stream, item: OutItem): void {
    stream.out.push(item)
    if (stream.opened && !stream.blocked) this.#scheduler.push(stream.id)
  }

  #endLocal(stream: Stream): void {
    stream.state = afterEndStream(stream.state, 'local')
    if (stream.state === 'closed') this.#close(stream, false)
  }

  #endRemote(stream: Stream): void {
    stream.state = afterEndStream(stream.state, 'remote')
    if (stream.state === 'closed') this.#close(stream, false)
  }

  /** Removes a stream; `dropQueued` also discards what it still had to send (a reset). */
  #close(stream: Stream, dropQueued = true): void {
    if (!this.#streams.has(stream.id)) return
    if (stream.counted) {
      if (this.#isLocalId(stream.id)) this.#localActive--
      else this.#remoteActive--
    }
    if (!stream.opened) {
      const at = this.#pendingOpens.indexOf(stream)
      if (at >= 0) this.#pendingOpens.splice(at, 1)
    }
    // Bytes delivered but never consumed would otherwise hold the connection window shut forever.
    if (stream.unconsumed > 0) {
      this.#releaseConnection(stream.unconsumed)
      stream.unconsumed = 0
    }
    if (stream.opened && !this.#isLocalId(stream.id)) {
      this.#closedRemote.add(stream.id)
    }
    stream.state = 'closed'
    this.#streams.delete(stream.id)
    this.#scheduler.remove(stream.id)
    this.#connectionBlocked.delete(stream.id)
    if (dropQueued || stream.queuedBytes > 0) {
      this.#queuedBytes -= stream.queuedBytes
      stream.queuedBytes = 0
      stream.out.length = 0
    }
    this.#events.push({ type: 'streamClosed', streamId: stream.id })
    this.#checkFinished()
  }

  #streamError(error: StreamError): void {
    const stream = this.#streams.get(error.streamId)
    this.#rememberReset(error.streamId)
    this.#queueControl(rstStream(error.streamId, error.code))
    this.#events.push({
      type: 'streamReset',
      streamId: error.streamId,
      code: error.code,
      origin: 'local',
      error,
      retryable: false,
    })
    if (stream !== undefined) this.#close(stream)
  }

  #rememberReset(id: number): void {
    this.#recentlyReset.add(id, this.#now() + this.#limits.resetStreamGrace)
  }

  #expiredReset(id: number): boolean {
    const until = this.#recentlyReset.get(id)!
    if (this.#now() <= until) return false
    this.#recentlyReset.delete(id)
    return true
  }

  #releaseConnection(n: number): void {
    this.#connectionUnreleased += n
    if (this.#connectionUnreleased >= this.#connectionWindowSize / 2) {
      this.#queueControl(windowUpdate(0, this.#connectionUnreleased))
      this.#recvWindow += this.#connectionUnreleased
      this.#connectionUnreleased = 0
    }
  }

  #queueUrgent(frame: Uint8Array): void {
    // After a connection error only its GOAWAY goes out (#fail queues it directly).
    if (this.#failed !== undefined) return
    this.#urgent.push(frame)
    this.#checkControlQueue()
  }

  #queueControl(frame: Uint8Array): void {
    if (this.#failed !== undefined) return
    this.#control.push(frame)
    this.#checkControlQueue()
  }

  /** A peer that makes us queue answers faster than it reads them is flooding us (PING, SETTINGS, RST). */
  #checkControlQueue(): void {
    if (
      this.#urgent.length + this.#control.length > this.#limits.maxQueuedControlFrames &&
      this.#failed === undefined
    ) {
      // Failing (not throwing) keeps the application's own calls (resetStream, consumed) from seeing it.
      this.#fail(
        new ConnectionError(
          ErrorCode.ENHANCE_YOUR_CALM,
          'control-frame-flood',
          `over ${this.#limits.maxQueuedControlFrames} queued control frames`,
        ),
      )
    }
  }

  #assertOpen(): void {
    if (this.#failed !== undefined)
      throw new UsageError('connection-failed', `the connection failed: ${this.#failed.message}`)
    if (this.#finished) throw new UsageError('connection-finished', 'the connection is finished')
  }

  /** A connection error: GOAWAY with the last stream we processed, then nothing more (§5.4.1). */
  #fail(error: ConnectionError, debug: string = error.reason): void {
    if (this.#failed !== undefined) return
    this.#failed = error
    // Set first, so closing the streams below does not report the connection finished on its own.
    this.#finished = true
    this.#control.length = 0
    // §3.4: if nothing was written yet, the preface and our SETTINGS still go first.
    this.#urgent.length = this.#wroteAnything ? 0 : this.#initialFrames
    const last = this.#lastGoAwayId()
    this.#goAwaySent = last
    this.#urgent.push(goAwayFrame(last, error.code, debug))
    for (const stream of [...this.#streams.values()]) {
      this.#events.push({
        type: 'streamReset',
        streamId: stream.id,
        code: error.code,
        origin: 'local',
        retryable: false,
      })
      this.#close(stream)
    }
    this.#pendingOpens.length = 0
    this.#events.push({ type: 'connectionFailed', error })
    this.#events.push({ type: 'connectionFinished' })
  }

  /**
   * The last-stream-id of a GOAWAY we send: the highest peer stream we processed, and never higher than
   * one we announced before (§6.8: it may only go down).
   */
  #lastGoAwayId(): number {
    return Math.min(this.#lastProcessedRemoteId, this.#goAwaySent ?? MAX_STREAM_ID)
  }

  #checkFinished(): void {
    if (this.#finished || this.#streams.size > 0) return
    const sentFinal = this.#goAwaySent !== undefined && this.#shutdownPing === undefined
    if (sentFinal || this.#goAwayReceived !== undefined) {
      this.#finished = true
      this.#events.push({ type: 'connectionFinished' })
    }
  }
}

// -----------------------------------------------------------------------------------------------------
// Frame helpers

function rstStream(streamId: number, code: number): Uint8Array {
  return encodeFrame({ type: FrameType.RST_STREAM, flags: 0, streamId, errorCode: code })
}

function windowUpdate(streamId: number, increment: number): Uint8Array {
  return encodeFrame({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, increment })
}

function goAwayFrame(lastStreamId: number, code: number, debug: string): Uint8Array {
  const debugData = Uint8Array.from(debug.slice(0, 256), (c) => c.charCodeAt(0) & 0xff)
  return encodeFrame({
    type: FrameType.GOAWAY,
    flags: 0,
    streamId: 0,
    lastStreamId,
    errorCode: code,
    debugData,
  })
}

function pingKey(data: Uint8Array): string {
  let key = ''
  for (const b of data) key += String.fromCharCode(b)
  return key
}

function writeCounter(target: Uint8Array, n: number): void {
  for (let i = 7; i >= 0; i--) {
    target[i] = n & 0xff
    n = Math.floor(n / 256)
  }
}

function toConnectionError(error: unknown): ConnectionError {
  if (error instanceof ConnectionError) return error
  if (isPrefaceError(error))
    return new ConnectionError(ErrorCode.PROTOCOL_ERROR, `preface-${error.looksLike}`, error.message)
  if (isFrameError(error)) return new ConnectionError(error.code, error.reason, error.message)
  throw error
}

/** Runs an outbound validation, turning a malformed-message StreamError into a UsageError. */
function usage<T>(check: () => T): T {
  try {
    return check()
  } catch (error) {
    if (error instanceof StreamError)
      throw new UsageError(error.reason, `refusing to send a malformed message: ${error.message}`)
    throw error
  }
}
