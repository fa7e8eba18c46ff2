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
  encodePushPromiseBlock,
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
  type Priority,
  type PriorityFrame,
  type PriorityUpdateFrame,
  type PushPromiseFrame,
  SettingId,
  type SettingsFrame,
  type WindowUpdateFrame,
} from '@h2ts/frames'
import { Decoder, Encoder, type HeaderField, isHpackError } from '@h2ts/hpack'
import { RateBudget } from './budget.js'
import { ConnectionError, StreamError, UsageError } from './errors.js'
import type { ConnectionEvent, HeadersKind } from './events.js'
import {
  type Fields,
  fieldError,
  fieldProblem,
  type RequestHead,
  validateRequest,
  validateResponse,
  validateTrailers,
} from './headers.js'
import { IdMap } from './id-map.js'
import { formatPriorityField, parsePriorityField } from './priority-field.js'
import { RecentIds } from './recent-ids.js'
import { Rfc7540Scheduler } from './scheduler/rfc7540.js'
import { Rfc9218Scheduler } from './scheduler/rfc9218.js'
import { RoundRobinScheduler } from './scheduler/round-robin.js'
import {
  DEFAULT_URGENCY,
  DEFAULT_WEIGHT,
  type PrioritySignal,
  type Rfc9218Priority,
  type WriteScheduler,
} from './scheduler/scheduler.js'
import { applySetting, INITIAL_SETTINGS, type Settings, settingsDiff } from './settings.js'
import { SkippedIds } from './skipped-ids.js'
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
  /**
   * Most recently reset streams remembered for that grace period; also the number of ranges of stream ids
   * a peer skipped that are remembered (HEADERS on one is a PROTOCOL_ERROR, not STREAM_CLOSED: §5.1.1).
   */
  maxRecentlyReset: number
  /**
   * Client: pushed streams (reserved or open) we hold at most; promises beyond are refused with
   * RST_STREAM(REFUSED_STREAM) (reserved streams do not count toward SETTINGS_MAX_CONCURRENT_STREAMS).
   */
  maxPushedStreams: number
  /**
   * Resets a peer may cause in a burst: RST_STREAM frames it sends (Rapid Reset, CVE-2023-44487) and
   * RST_STREAM we send because of its errors (MadeYouReset, CVE-2025-8671) spend the same token bucket;
   * empty: ENHANCE_YOUR_CALM.
   */
  resetBurst: number
  /** Tokens per second refilling the reset bucket (an honest client cancels a few streams a second). */
  resetRate: number
  /** PRIORITY and PRIORITY_UPDATE frames in a burst (CVE-2019-9513); empty bucket: ENHANCE_YOUR_CALM. */
  priorityBurst: number
  /** Tokens per second refilling the PRIORITY bucket. */
  priorityRate: number
  /**
   * Frames in a row that carry nothing (DATA of length 0 without END_STREAM, HEADERS or CONTINUATION with
   * an empty fragment and no END_HEADERS) before ENHANCE_YOUR_CALM (CVE-2019-9518); any DATA or header
   * fragment with content starts the count again.
   */
  maxEmptyFrames: number
  /**
   * Milliseconds a header block (HEADERS or PUSH_PROMISE up to END_HEADERS) may stay open: a peer that
   * dribbles CONTINUATION frames holds the whole connection, since nothing else may interleave (§6.10).
   * Past it: ENHANCE_YOUR_CALM. Needs `tick()` at `nextDeadline()`, which the Node adapter does.
   */
  headerBlockTimeout: number
  /**
   * After a WINDOW_UPDATE smaller than this, DATA waits until the window has this much (or half the peer's
   * initial window, if smaller): 1-byte window increments do not turn into runs of 1-byte DATA frames
   * (the data dribble, CVE-2019-9511). Larger increments resume sending at once.
   */
  minDataFrameSize: number
}

/** What a connection has done so far (see `Connection.stats`). */
export interface ConnectionStats {
  /**
   * Header sections, as fields (the RFC 7541 §4.1 size: name + value + 32 per field) and as HPACK blocks:
   * the difference is what compression saved.
   */
  headerBytesSent: { raw: number; encoded: number }
  headerBytesReceived: { raw: number; encoded: number }
  /** Milliseconds that streams with DATA to send waited for flow-control window, summed over streams. */
  flowControlStallMs: number
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
  maxPushedStreams: 100,
  resetBurst: 1000,
  resetRate: 100,
  priorityBurst: 1000,
  priorityRate: 100,
  maxEmptyFrames: 1000,
  headerBlockTimeout: 10000,
  minDataFrameSize: 1024,
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
  /** A write scheduler of your own; it replaces the choice `priorities` makes. */
  scheduler?: WriteScheduler
  /**
   * How streams share the connection (DESIGN.md "Scheduling and priority"):
   * - `'auto'` (default): a server picks at the client's first SETTINGS: RFC 9218 urgencies when either
   *   side sent SETTINGS_NO_RFC7540_PRIORITIES = 1 (RFC 9218 §2.1), else the RFC 7540 tree; a client uses
   *   round-robin for its request bodies.
   * - `'rfc9218'`: sends SETTINGS_NO_RFC7540_PRIORITIES = 1 and schedules by urgency.
   * - `'rfc7540'`: the dependency tree; `'round-robin'`: one frame per stream in turn, no signals.
   */
  priorities?: 'auto' | 'rfc7540' | 'rfc9218' | 'round-robin'
  /**
   * Server: the RFC 9218 priority of a request that carries no (valid) `priority` header, e.g. by route. The
   * scheduler opens the stream with it; a PRIORITY_UPDATE from the client, sent before or after the
   * request, still wins (RFC 9218 §7.1). A scheduler that does not speak RFC 9218 ignores it.
   */
  defaultPriority?: (request: RequestHead) => Rfc9218Priority | undefined
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number
  /**
   * Makes the buffers DATA frame headers are cut from (default `new Uint8Array(size)`). An adapter can
   * hand out its platform's byte type here (Node: a Buffer), so the views it gets back need no wrapping.
   */
  allocate?: (size: number) => Uint8Array
  /**
   * Client: how many streams to open before the server's first SETTINGS says how many it allows (default
   * 100, as nghttp2 and Go do). The protocol's initial value is unlimited (§6.5.2), but a client that opens
   * hundreds of streams in its first flight gets most of them refused.
   */
  initialPeerMaxConcurrentStreams?: number
  /**
   * Check the characters of the header fields we send (RFC 9113 §8.2.1), refusing a malformed section with
   * a UsageError (default true). The structure (pseudo-header fields, connection-specific fields) is checked
   * either way. A proxy that forwards fields it received (which the decoder checked) and adds only fields it
   * made valid itself may turn this off: the check costs a scan of every name and value.
   */
  checkOutgoingFields?: boolean
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

/** Moves every frame of `queue` to `out`; returns their bytes. */
function moveFrames(queue: Uint8Array[], out: Uint8Array[]): number {
  // Emptying an empty array is not free in V8, and most pulls have no control frames.
  if (queue.length === 0) return 0
  let bytes = 0
  for (const frame of queue) {
    out.push(frame)
    bytes += frame.length
  }
  queue.length = 0
  return bytes
}

/** 455 DATA frame headers per slab. */
const HEADER_SLAB_SIZE = 4095

type OutItem =
  | { kind: 'headers'; fields: HeaderField[]; endStream: boolean }
  | { kind: 'data'; data: Uint8Array; offset: number; endStream: boolean }
  /** RST_STREAM after what is queued before it (a reset that must not overtake a response). */
  | { kind: 'reset'; code: number; endStream: true }
  /** PUSH_PROMISE for `promised`, sent on this (the associated) stream (§8.4). */
  | { kind: 'promise'; promised: Stream; fields: HeaderField[]; endStream: false }

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
  /** When `blocked` was last set (engine clock), for the stall statistics. */
  blockedSince = 0
  /** Receiving: a final (non-1xx) response or the request headers arrived. */
  gotHeaders = false
  contentLength: number | undefined
  received = 0
  /** Client: the request was HEAD, so the response has no content (§8.1.1). */
  headRequest = false
  /** Counted in the active streams of its initiator (§5.1.2). */
  counted = false
  /** A pushed stream whose response waits for the client's concurrency limit (§5.1.2, §8.4). */
  parked = false
  /** The peer's last WINDOW_UPDATE for this stream was tiny (the data dribble, CVE-2019-9511). */
  dribbled = false

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
  /** RFC 7540 priority fields of the HEADERS frame (§6.2). */
  priority: PrioritySignal | undefined
  /** PUSH_PROMISE: the promised stream (§6.6). */
  promisedId: number | undefined
  /** The fragments of a block that spans frames (a block complete in one frame never gets its own). */
  parts: Uint8Array[]
  size: number
  frames: number
  /** When its first frame arrived (engine clock), for `headerBlockTimeout`; set if it spans frames. */
  startedAt: number
}

const NO_PARTS: Uint8Array[] = []

const PING_LENGTH = 8

export class Connection {
  readonly role: Role
  readonly #limits: Limits
  readonly #now: () => number
  #scheduler: WriteScheduler
  /** The scheduler is still to be chosen at the peer's first SETTINGS (`priorities: 'auto'`, server). */
  #schedulerPending: boolean
  readonly #decoder: FrameDecoder
  readonly #hpackIn: Decoder
  readonly #checkOutgoing: boolean
  readonly #hpackOut = new Encoder()
  /** Running totals for metrics; read them at any time, never reset by the engine. */
  readonly stats: ConnectionStats = {
    headerBytesSent: { raw: 0, encoded: 0 },
    headerBytesReceived: { raw: 0, encoded: 0 },
    flowControlStallMs: 0,
  }

  /** Our settings as the peer will know them once it acknowledges; and the peer's, in force. */
  #local: Settings
  readonly #remote: Settings = { ...INITIAL_SETTINGS }
  /** Our SETTINGS frames not yet acknowledged, oldest first, with when they were sent. */
  readonly #unacked: Array<{ settings: Settings; sentAt: number }> = []

  readonly #streams = new IdMap<Stream>()
  /** Where DATA frame headers are cut from (see #dataHeader). */
  #slab: Uint8Array = new Uint8Array(0)
  readonly #allocate: (size: number) => Uint8Array
  #slabOffset = 0
  #nextLocalId: number
  #lastRemoteId = 0
  /** The highest peer stream id processed (not ignored after our GOAWAY), for GOAWAY's last-stream-id. */
  #lastProcessedRemoteId = 0
  /** Peer ids that never carried a stream, to tell them from closed ones (§5.1.1; see SkippedIds). */
  readonly #skipped: SkippedIds
  /** Streams the peer closed with RST_STREAM (bounded): a HEADERS on one is a stream error (§5.1). */
  readonly #resetByPeer: RecentIds
  /** How many frames the constructor queued first (preface, SETTINGS): kept if we fail before writing. */
  readonly #initialFrames: number
  #wroteAnything = false
  /** Our SETTINGS_INITIAL_WINDOW_SIZE as the peer has acknowledged it. */
  #ackedInitialWindow: number
  #localActive = 0
  #remoteActive = 0
  /** Local streams whose opening HEADERS wait for concurrency, in id order. */
  readonly #pendingOpens: Stream[] = []
  /** Server: pushed streams whose response waits for the client's concurrency limit, oldest first. */
  readonly #parked: Stream[] = []
  /** Client: promised streams still reserved (no response HEADERS yet). */
  #reservedRemote = 0
  /** ENABLE_PUSH in the last of our SETTINGS the peer acknowledged (the first counts as known, see push). */
  #ackedEnablePush: boolean
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
  /** Abuse budgets (DESIGN.md "Errors"): resets received and provoked, PRIORITY frames, empty frames. */
  readonly #resetBudget: RateBudget
  readonly #priorityBudget: RateBudget
  #emptyFrames = 0
  /** The peer's last WINDOW_UPDATE for the connection was tiny (CVE-2019-9511). */
  #connectionDribbled = false

  /** GOAWAY: the last stream id we said we would process, and whether the peer sent one. */
  #goAwaySent: number | undefined
  #goAwayReceived: number | undefined
  #shutdownPing: string | undefined
  #gotPeerSettings = false
  #failed: ConnectionError | undefined
  #finished = false
  readonly #defaultPriority: ConnectionOptions['defaultPriority']

  constructor(options: ConnectionOptions) {
    this.role = options.role
    this.#defaultPriority = options.defaultPriority
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.#checkOutgoing = options.checkOutgoingFields ?? true
    this.#recentlyReset = new RecentIds(this.#limits.maxRecentlyReset)
    this.#skipped = new SkippedIds(this.#limits.maxRecentlyReset)
    this.#resetByPeer = new RecentIds(this.#limits.maxRecentlyReset)
    this.#now = options.now ?? Date.now
    this.#allocate = options.allocate ?? ((size) => new Uint8Array(size))
    this.#resetBudget = new RateBudget(this.#limits.resetBurst, this.#limits.resetRate, this.#now)
    this.#priorityBudget = new RateBudget(this.#limits.priorityBurst, this.#limits.priorityRate, this.#now)
    const priorities = options.priorities ?? 'auto'
    this.#scheduler =
      options.scheduler ??
      (priorities === 'rfc7540'
        ? new Rfc7540Scheduler()
        : priorities === 'rfc9218'
          ? new Rfc9218Scheduler()
          : new RoundRobinScheduler())
    this.#schedulerPending =
      options.scheduler === undefined && priorities === 'auto' && options.role === 'server'
    this.#nextLocalId = this.role === 'client' ? 1 : 2
    this.#local = { ...defaultSettings(this.role, this.#limits), ...options.settings }
    // RFC 9218 §2.1: say we will not use RFC 7540 signals when we schedule by urgency.
    if (priorities === 'rfc9218' && options.settings?.noRfc7540Priorities === undefined)
      this.#local.noRfc7540Priorities = true
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
      // §8.2.1's character rules, checked as fields are decoded: a field the peer sends again by index
      // (most of them, on a busy connection) keeps the verdict it got the first time.
      checkField: fieldProblem,
    })

    // §3.4: a client starts with the preface; both sides then send SETTINGS first.
    if (this.role === 'client') this.#urgent.push(clientPreface())
    this.#sendSettings(settingsDiff(INITIAL_SETTINGS, this.#local), { ...this.#local })
    if (this.#connectionWindowSize > 65535) {
      this.#control.push(windowUpdate(0, this.#connectionWindowSize - 65535))
      this.#recvWindow = this.#connectionWindowSize
    }
    this.#initialFrames = this.#urgent.length
    this.#ackedEnablePush = this.#local.enablePush
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
    this.#checkFloods(frame)
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
      case FrameType.PRIORITY: {
        // Accepted in every state (§5.1); the RFC 7540 tree is optional (§5.3.2). A stream depending on
        // itself is a stream PROTOCOL_ERROR (§5.3.1).
        const priority = (frame as PriorityFrame).priority
        if (priority.dependency === frame.streamId) {
          this.#streamError(
            new StreamError(
              frame.streamId,
              ErrorCode.PROTOCOL_ERROR,
              'self-dependency',
              'stream depends on itself',
            ),
          )
          return
        }
        // RFC 9218 §2.1: once we said we do not use them, RFC 7540 signals are ignored.
        if (!this.#local.noRfc7540Priorities) this.#scheduler.prioritize?.(frame.streamId, rfc7540(priority))
        return
      }
      case FrameType.PRIORITY_UPDATE:
        this.#onPriorityUpdate(frame as PriorityUpdateFrame)
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

  /**
   * Budgets for frames that cost us work and give nothing back (DESIGN.md "Errors"): PRIORITY frames
   * (CVE-2019-9513) and frames with nothing in them (CVE-2019-9518). Both end in ENHANCE_YOUR_CALM.
   */
  #checkFloods(frame: Frame): void {
    const type = frame.type
    if (type === FrameType.PRIORITY || type === FrameType.PRIORITY_UPDATE) {
      if (!this.#priorityBudget.take()) {
        throw new ConnectionError(
          ErrorCode.ENHANCE_YOUR_CALM,
          'priority-flood',
          `over ${this.#limits.priorityBurst} PRIORITY frames in a burst`,
        )
      }
      return
    }
    let length: number
    let ends: number
    if (type === FrameType.DATA) {
      length = (frame as DataFrame).data.length
      ends = frame.flags & Flags.END_STREAM
    } else if (type === FrameType.HEADERS || type === FrameType.CONTINUATION) {
      length = (frame as { fragment: Uint8Array }).fragment.length
      ends = frame.flags & Flags.END_HEADERS
    } else {
      return
    }
    if (length > 0) {
      this.#emptyFrames = 0
      return
    }
    // An empty frame that ends something (END_STREAM, END_HEADERS) does work for the peer: not counted.
    if (ends === 0 && ++this.#emptyFrames > this.#limits.maxEmptyFrames) {
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        'empty-frame-flood',
        `over ${this.#limits.maxEmptyFrames} empty frames in a row`,
      )
    }
  }

  /**
   * One reset, received or provoked, spends a token (Rapid Reset, CVE-2023-44487; MadeYouReset,
   * CVE-2025-8671). Failing (not throwing) so that callers outside `receive` are safe too.
   */
  #spendReset(): void {
    if (this.#resetBudget.take() || this.#failed !== undefined) return
    this.#fail(
      new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        'reset-flood',
        `over ${this.#limits.resetBurst} stream resets in a burst`,
      ),
    )
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

  /** A header block's first frame: decoded now if it ends the block, else kept until END_HEADERS (§6.10). */
  #beginBlock(block: PendingBlock, flags: number, fragment: Uint8Array): void {
    if (flags & Flags.END_HEADERS) {
      this.#onHeaderBlock(block, fragment)
      return
    }
    block.parts = []
    block.startedAt = this.#now()
    this.#addFragment(block, fragment)
    this.#block = block
  }

  #startBlock(frame: HeadersFrame): void {
    const block: PendingBlock = {
      streamId: frame.streamId,
      endStream: (frame.flags & Flags.END_STREAM) !== 0,
      // §5.3.1: a stream cannot depend on itself. The block is still decoded (HPACK state) before the reset.
      selfDependent: frame.priority !== undefined && frame.priority.dependency === frame.streamId,
      priority: frame.priority === undefined ? undefined : rfc7540(frame.priority),
      promisedId: undefined,
      parts: NO_PARTS,
      size: 0,
      frames: 1,
      startedAt: 0,
    }
    this.#beginBlock(block, frame.flags, frame.fragment)
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

  /**
   * §8.2.1 for the header block just decoded: the decoder checked its fields as they arrived (and a field
   * sent again by index kept its first verdict); the first one it found malformed is this stream's error.
   */
  #checkReceivedFields(streamId: number): void {
    const problem = this.#hpackIn.lastFieldProblem
    if (problem !== undefined) throw fieldError(streamId, problem)
  }

  /** Decodes a complete header block, then applies it to its stream. */
  #onHeaderBlock(block: PendingBlock, bytes: Uint8Array): void {
    let fields: HeaderField[] | undefined
    let tooLarge = false
    try {
      fields = this.#hpackIn.decodeFields(bytes)
      this.stats.headerBytesReceived.encoded += bytes.length
      this.stats.headerBytesReceived.raw += this.#hpackIn.lastHeaderListSize
    } catch (error) {
      if (!isHpackError(error)) throw error
      // §4.3: an HPACK failure leaves the tables out of step: the connection cannot go on.
      if (error.fatal)
        throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, `hpack-${error.reason}`, error.message)
      tooLarge = true
    }
    if (block.promisedId !== undefined) {
      this.#onPromise(block.streamId, block.promisedId, fields ?? [], tooLarge)
      return
    }
    // RFC 9218 §2.1: once we said we do not use them, RFC 7540 signals are ignored.
    const priority = this.#local.noRfc7540Priorities ? undefined : block.priority
    this.#onHeaders(block.streamId, fields ?? [], block.endStream, tooLarge, block.selfDependent, priority)
  }

  #onHeaders(
    id: number,
    fields: HeaderField[],
    endStream: boolean,
    tooLarge: boolean,
    selfDependent: boolean,
    priority: PrioritySignal | undefined,
  ): void {
    const stream = this.#streams.get(id)
    if (stream === undefined || !stream.opened) {
      if (this.#stateOf(id) === 'idle') {
        this.#openRemote(id, fields, endStream, tooLarge, selfDependent, priority)
        return
      }
      if (this.#recentlyReset.has(id) && !this.#expiredReset(id)) return
      if (!this.#isLocalId(id) && this.#skipped.has(id)) {
        // §5.1.1: a peer id at or below one it already used, that never carried a stream, is not
        // increasing: PROTOCOL_ERROR (a stream that really was open and closed gets STREAM_CLOSED below).
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          'stream-id-not-increasing',
          `HEADERS on stream ${id} after ${this.#lastRemoteId}`,
        )
      }
      if (this.#resetByPeer.has(id)) {
        // §5.1 closed: "any frame other than PRIORITY after receiving a RST_STREAM" is a stream error of
        // type STREAM_CLOSED; only after END_STREAM is a HEADERS a connection error (the rule below).
        this.#streamError(
          new StreamError(
            id,
            ErrorCode.STREAM_CLOSED,
            'headers-after-rst-stream',
            'HEADERS after RST_STREAM',
          ),
        )
        return
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
    // Priority fields on a later HEADERS frame reprioritise the stream (RFC 7540 §5.3.3).
    if (priority !== undefined) this.#scheduler.prioritize?.(id, priority)
    if (stream.state === 'reserved-remote') {
      // §5.1: the pushed response's HEADERS make the stream half-closed (local); from now on it counts
      // toward our SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2).
      if (this.#remoteActive >= this.#local.maxConcurrentStreams) {
        this.#streamError(
          new StreamError(id, ErrorCode.REFUSED_STREAM, 'too-many-streams', 'pushed stream over our limit'),
        )
        return
      }
      this.#reservedRemote--
      stream.state = 'half-closed-local'
      stream.counted = true
      this.#remoteActive++
    }
    if (tooLarge) {
      this.#streamError(
        new StreamError(id, ErrorCode.ENHANCE_YOUR_CALM, 'header-list-too-large', 'header list too large'),
      )
      return
    }
    try {
      this.#checkReceivedFields(id)
      if (this.role === 'client' && !stream.gotHeaders) {
        const response = validateResponse(id, fields, false)
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
        validateTrailers(id, fields, false)
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
    priority: PrioritySignal | undefined,
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
    this.#skipped.opened(this.#lastRemoteId, id)
    this.#lastRemoteId = id
    if (this.#goAwaySent !== undefined && id > this.#goAwaySent) {
      // §6.8: after GOAWAY, new streams above its last stream id are ignored (HPACK state is kept).
      return
    }
    this.#lastProcessedRemoteId = id
    const refuse = (code: number, reason: string, message: string) => {
      this.#rememberReset(id)
      this.#queueAnswer(rstStream(id, code))
      this.#events.push({
        type: 'streamReset',
        streamId: id,
        code,
        origin: 'local',
        error: new StreamError(id, code, reason, message, 'local', code === ErrorCode.REFUSED_STREAM),
        retryable: code === ErrorCode.REFUSED_STREAM,
      })
      this.#spendReset()
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
      this.#spendReset()
      return
    }
    let request: ReturnType<typeof validateRequest>
    try {
      this.#checkReceivedFields(id)
      request = validateRequest(id, fields, this.#local.enableConnectProtocol, false)
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
    // The scheduler learns the stream's priority: RFC 7540 fields of the HEADERS frame, and the RFC 9218
    // `priority` header (§5), or the application's default when there is none.
    const urgency = priorityHeader(fields) ?? validUrgency(this.#defaultPriority?.(request))
    const signals = priority === undefined ? [] : [priority]
    if (urgency !== undefined) signals.push(urgency)
    this.#scheduler.open?.(id, signals)
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
    // §8.4, §6.6: only servers push, and only when the client allows it. A server pushes in answer to a
    // request, and our first SETTINGS went before every request: what we sent is what binds (and, after a
    // change, what the peer may not have acknowledged yet).
    const allowed =
      this.#local.enablePush || this.#ackedEnablePush || this.#unacked.some((u) => u.settings.enablePush)
    if (this.role === 'server' || !allowed) {
      const reason = this.role === 'server' ? 'push-promise-from-client' : 'push-disabled'
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, reason, `PUSH_PROMISE on stream ${frame.streamId}`)
    }
    const block: PendingBlock = {
      streamId: frame.streamId,
      endStream: false,
      selfDependent: false,
      priority: undefined,
      promisedId: frame.promisedStreamId,
      parts: NO_PARTS,
      size: 0,
      frames: 1,
      startedAt: 0,
    }
    this.#beginBlock(block, frame.flags, frame.fragment)
  }

  /** A complete PUSH_PROMISE header block (client): reserve the promised stream, or refuse it (§8.4). */
  #onPromise(associatedId: number, promisedId: number, fields: HeaderField[], tooLarge: boolean): void {
    if (promisedId <= this.#lastRemoteId) {
      // §6.6, §5.1.1: the promised stream must be idle.
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        'push-promise-id-not-idle',
        `promised stream ${promisedId} after ${this.#lastRemoteId}`,
      )
    }
    this.#skipped.opened(this.#lastRemoteId, promisedId)
    this.#lastRemoteId = promisedId
    const refuse = (code: number) => {
      this.#rememberReset(promisedId)
      this.#queueControl(rstStream(promisedId, code))
    }
    const state = this.#stateOf(associatedId)
    if (!this.#isLocalId(associatedId) || (state !== 'open' && state !== 'half-closed-local')) {
      // §6.6: a promise on a stream we reset a moment ago may have crossed our RST_STREAM: it is still
      // processed (the HPACK state above), and the promised stream refused.
      if (this.#isLocalId(associatedId) && this.#recentlyReset.has(associatedId)) {
        refuse(ErrorCode.CANCEL)
        return
      }
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        'push-promise-on-bad-stream',
        `PUSH_PROMISE on stream ${associatedId} (${state})`,
      )
    }
    if (this.#goAwaySent !== undefined) {
      // Our GOAWAY named the last pushed stream we take: later ones are refused.
      refuse(ErrorCode.REFUSED_STREAM)
      return
    }
    let request: ReturnType<typeof validateRequest>
    try {
      if (tooLarge) {
        throw new StreamError(promisedId, ErrorCode.ENHANCE_YOUR_CALM, 'header-list-too-large', 'too large')
      }
      this.#checkReceivedFields(promisedId)
      request = validateRequest(promisedId, fields, false, false)
      // §8.4.1: a promised request is safe and cacheable, and carries no content.
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new StreamError(promisedId, ErrorCode.PROTOCOL_ERROR, 'push-unsafe-method', request.method)
      }
      if (request.contentLength !== undefined && request.contentLength > 0) {
        throw new StreamError(promisedId, ErrorCode.PROTOCOL_ERROR, 'push-with-content', 'request content')
      }
    } catch (error) {
      if (!(error instanceof StreamError)) throw error
      // §8.4.1: the error is on the promised stream.
      refuse(error.code)
      return
    }
    if (this.#reservedRemote + this.#remoteActive >= this.#limits.maxPushedStreams) {
      refuse(ErrorCode.REFUSED_STREAM)
      return
    }
    this.#lastProcessedRemoteId = promisedId
    const stream = this.#newStream(promisedId)
    stream.state = 'reserved-remote'
    stream.opened = true
    stream.headRequest = request.method === 'HEAD'
    this.#reservedRemote++
    this.#events.push({
      type: 'pushPromised',
      streamId: associatedId,
      promisedStreamId: promisedId,
      fields,
      request,
    })
  }

  // --- PRIORITY_UPDATE (RFC 9218 §7.1) ----------------------------------------------------------------

  #onPriorityUpdate(frame: PriorityUpdateFrame): void {
    if (this.role === 'client') {
      // RFC 9218 §7.1: only clients send it.
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        'priority-update-from-server',
        'PRIORITY_UPDATE from a server',
      )
    }
    const id = frame.prioritizedStreamId
    const signal = toUrgency(parsePriorityField(frame.fieldValue))
    if (signal === undefined) return // not a Structured Fields dictionary: ignored (RFC 9218 §4)
    if (this.#streams.has(id)) {
      this.#scheduler.prioritize?.(id, signal)
    } else if (!this.#isLocalId(id) && this.#isIdle(id)) {
      // §7.1: a request not sent yet; the scheduler keeps a bounded number of these for when it opens.
      this.#scheduler.prioritize?.(id, signal)
    }
    // A closed stream's priority no longer matters.
  }

  // --- RST_STREAM (§6.4) -------------------------------------------------------------------------------

  #onRstStream(id: number, code: number): void {
    this.#spendReset()
    if (this.#failed !== undefined) return
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
    this.#resetByPeer.add(id)
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
    const firstSettings = !this.#gotPeerSettings
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
      if (
        setting.id === SettingId.NO_RFC7540_PRIORITIES &&
        !firstSettings &&
        (setting.value === 1) !== this.#remote.noRfc7540Priorities
      ) {
        // RFC 9218 §2.1: the value must not change after the first SETTINGS.
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          'no-rfc7540-priorities-changed',
          'SETTINGS_NO_RFC7540_PRIORITIES changed after the first SETTINGS',
        )
      }
      if (
        setting.id === SettingId.ENABLE_CONNECT_PROTOCOL &&
        setting.value === 0 &&
        this.#remote.enableConnectProtocol
      ) {
        // RFC 8441 §3: once 1, the setting may not go back to 0.
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          'connect-protocol-withdrawn',
          'SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 to 0',
        )
      }
      applySetting(this.#remote, setting)
    }
    if (firstSettings && this.#schedulerPending) {
      // RFC 9218 §2.1: the client's first SETTINGS says whether it will send RFC 7540 signals. It comes
      // before any stream (§3.4), so the scheduler can still be swapped.
      this.#schedulerPending = false
      if (this.#streams.size === 0) {
        this.#scheduler =
          this.#local.noRfc7540Priorities || this.#remote.noRfc7540Priorities
            ? new Rfc9218Scheduler()
            : new Rfc7540Scheduler()
      }
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
    this.#ackedEnablePush = settings.enablePush
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
    for (const stream of this.#streams.values()) {
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
      // The connection window starts at 65,535 whatever the settings say (§6.9.2).
      const threshold = this.#dribbleThreshold(65535)
      this.#connectionDribbled = frame.increment < threshold
      if (this.#sendWindow >= (this.#connectionDribbled ? threshold : 1)) {
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
    const threshold = this.#dribbleThreshold(this.#remote.initialWindowSize)
    stream.dribbled = frame.increment < threshold
    if (stream.blocked && stream.sendWindow >= (stream.dribbled ? threshold : 1)) this.#unblock(stream)
  }

  /**
   * The data dribble (CVE-2019-9511): after a WINDOW_UPDATE smaller than this, a window smaller than this
   * does not make a DATA frame; the stream waits for more. It is `minDataFrameSize`, at most half the
   * initial window, so that a peer that asks for small windows on purpose is still served. A window that
   * came with a real increment is always used, whatever its size, so no honest peer can be left waiting.
   */
  #dribbleThreshold(initialWindow: number): number {
    return Math.max(1, Math.min(this.#limits.minDataFrameSize, Math.floor(initialWindow / 2)))
  }

  /** Whether a DATA frame of `n` bytes, cut short by a window the peer has been dribbling, should wait. */
  #dribbling(stream: Stream, n: number): boolean {
    if (n >= this.#limits.minDataFrameSize) return false
    if (n === stream.sendWindow && stream.dribbled)
      return n < this.#dribbleThreshold(this.#remote.initialWindowSize)
    return n === this.#sendWindow && this.#connectionDribbled && n < this.#dribbleThreshold(65535)
  }

  #unblock(stream: Stream): void {
    if (stream.blocked) this.stats.flowControlStallMs += this.#now() - stream.blockedSince
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
    const head = usage(() =>
      validateRequest(this.#nextLocalId, fields, this.#remote.enableConnectProtocol, this.#checkOutgoing),
    )
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
    const scan = this.#checkOutgoing
    if (first !== undefined && first[0] === ':status') usage(() => validateResponse(streamId, fields, scan))
    else usage(() => validateTrailers(streamId, fields, scan))
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

  /**
   * Server push (§8.4): promises the response to a request (`fields`: GET or HEAD, no content; :scheme,
   * :authority and :path as for any request) on the stream of the request it belongs to, and returns the
   * promised stream's id. Send the response there with `sendHeaders` and `sendData`. The PUSH_PROMISE goes
   * out in order with what the associated stream already queued, so queue it before the data that refers to
   * the pushed resource. Throws a UsageError when the client disabled push (SETTINGS_ENABLE_PUSH = 0).
   */
  push(streamId: number, fields: Fields): number {
    if (this.role !== 'server') throw new UsageError('not-a-server', 'only a server pushes (§8.4)')
    this.#assertOpen()
    if (!this.#remote.enablePush) {
      throw new UsageError('push-disabled', 'the client disabled server push (SETTINGS_ENABLE_PUSH = 0)')
    }
    if (this.#goAwayReceived !== undefined || this.#goAwaySent !== undefined) {
      throw new UsageError('connection-closing', 'the connection is going away: no new streams')
    }
    const associated = this.#writable(streamId)
    if (this.#isLocalId(streamId)) {
      // §6.6: a promise rides on a stream the client opened, never on a pushed one.
      throw new UsageError('push-on-pushed-stream', `stream ${streamId} is itself pushed`)
    }
    if (this.#nextLocalId > MAX_STREAM_ID) {
      throw new UsageError('stream-ids-exhausted', 'no stream ids left on this connection (§5.1.1)')
    }
    const head = usage(() => validateRequest(this.#nextLocalId, fields, false, this.#checkOutgoing))
    if (head.method !== 'GET' && head.method !== 'HEAD') {
      throw new UsageError(
        'push-unsafe-method',
        `§8.4.1: only safe, cacheable requests are pushed, not ${head.method}`,
      )
    }
    if (head.contentLength !== undefined && head.contentLength > 0) {
      throw new UsageError('push-with-content', '§8.4.1: a promised request has no content')
    }
    const id = this.#nextLocalId
    this.#nextLocalId += 2
    const promised = this.#newStream(id)
    promised.state = 'reserved-local'
    this.#enqueue(associated, { kind: 'promise', promised, fields: [...fields], endStream: false })
    return id
  }

  /**
   * Sets a stream's priority. Our own scheduler uses it if it speaks the signal's scheme (`rfc9218`:
   * urgency 0–7 and incremental; `rfc7540`: dependency, weight 1–256, exclusive): a server orders its
   * responses by it. A client also tells the server: PRIORITY_UPDATE (RFC 9218 §7) or PRIORITY (§6.3).
   */
  prioritize(streamId: number, priority: PrioritySignal): void {
    this.#assertOpen()
    if (priority.scheme === 'rfc9218') {
      if (!(Number.isInteger(priority.urgency) && priority.urgency >= 0 && priority.urgency <= 7))
        throw new UsageError('bad-priority', 'urgency is an integer in 0..7 (RFC 9218 §4.1)')
    } else if (
      !(Number.isInteger(priority.weight) && priority.weight >= 1 && priority.weight <= 256) ||
      priority.dependency === streamId
    ) {
      throw new UsageError(
        'bad-priority',
        'weight is an integer in 1..256 and a stream cannot depend on itself',
      )
    }
    this.#scheduler.prioritize?.(streamId, priority)
    if (this.role !== 'client' || !this.#isLocalId(streamId)) return
    if (priority.scheme === 'rfc9218') {
      this.#queueControl(
        encodeFrame({
          type: FrameType.PRIORITY_UPDATE,
          flags: 0,
          streamId: 0,
          prioritizedStreamId: streamId,
          fieldValue: formatPriorityField(priority.urgency, priority.incremental),
        }),
      )
    } else if (!this.#remote.noRfc7540Priorities) {
      this.#queueControl(
        encodeFrame({
          type: FrameType.PRIORITY,
          flags: 0,
          streamId,
          priority: {
            dependency: priority.dependency,
            weight: priority.weight,
            exclusive: priority.exclusive,
          },
        }),
      )
    }
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
    if (next.noRfc7540Priorities !== this.#local.noRfc7540Priorities) {
      throw new UsageError('bad-option', 'SETTINGS_NO_RFC7540_PRIORITIES cannot change (RFC 9218 §2.1)')
    }
    if (this.#local.enableConnectProtocol && !next.enableConnectProtocol) {
      throw new UsageError('bad-option', 'SETTINGS_ENABLE_CONNECT_PROTOCOL cannot go back to 0 (RFC 8441 §3)')
    }
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
    if (this.#failed !== undefined) return undefined
    const oldest = this.#unacked[0]
    const settings = oldest === undefined ? Infinity : oldest.sentAt + this.#limits.settingsTimeout
    const block = this.#block
    const header = block === undefined ? Infinity : block.startedAt + this.#limits.headerBlockTimeout
    const next = Math.min(settings, header)
    return next === Infinity ? undefined : next
  }

  /** Lets time-based rules run: the SETTINGS ACK timeout (§6.5.3) and `headerBlockTimeout`. */
  tick(): ConnectionEvent[] {
    const block = this.#block
    if (
      block !== undefined &&
      this.#failed === undefined &&
      this.#now() - block.startedAt >= this.#limits.headerBlockTimeout
    ) {
      // A slow CONTINUATION flood: nothing else can use the connection while the block is open (§6.10).
      this.#fail(
        new ConnectionError(
          ErrorCode.ENHANCE_YOUR_CALM,
          'header-block-timeout',
          `header block not finished within ${this.#limits.headerBlockTimeout} ms`,
        ),
      )
    }
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
    if (
      (this.#pendingOpens.length > 0 || this.#parked.length > 0) &&
      this.#localActive < this.#remote.maxConcurrentStreams
    )
      return true
    return this.#scheduler.hasReady()
  }

  /**
   * The next bytes to write, as a list of chunks (DATA payloads are handed through by reference), about
   * `maxBytes` in all. An empty list when there is nothing to send now.
   */
  pullOutbound(maxBytes = 256 * 1024): Uint8Array[] {
    this.#wroteAnything = true
    const out: Uint8Array[] = []
    let budget = maxBytes - moveFrames(this.#urgent, out) - moveFrames(this.#control, out)
    if (this.#failed !== undefined) return out

    // Stream-opening HEADERS, in id order, as far as the peer's concurrency limit allows (§5.1.2).
    while (this.#pendingOpens.length > 0 && this.#localActive < this.#remote.maxConcurrentStreams) {
      const stream = this.#pendingOpens.shift()!
      stream.opened = true
      stream.state = 'open'
      stream.counted = true
      this.#localActive++
      this.#scheduler.open?.(stream.id)
      this.#scheduler.push(stream.id)
    }
    // Pushed responses waiting for the same limit (§8.4, §5.1.2).
    for (let free = this.#remote.maxConcurrentStreams - this.#localActive; free > 0; free--) {
      const stream = this.#parked.shift()
      if (stream === undefined) break
      stream.parked = false
      if (this.#streams.has(stream.id) && !stream.blocked) this.#scheduler.push(stream.id)
    }

    while (budget > 0) {
      const id = this.#scheduler.pop()
      if (id === undefined) break
      const stream = this.#streams.get(id)
      if (stream === undefined || stream.out.length === 0) continue
      let written = this.#writeOne(stream, out)
      // Alone with something to send, the stream would be chosen again: go on without asking (a 1 MiB
      // response is 64 frames; the scheduler's bookkeeping per frame would cost more than the framing).
      while (
        written > 0 &&
        written < budget &&
        this.#canContinue(stream, id) &&
        !this.#scheduler.hasReady()
      ) {
        const more = this.#writeOne(stream, out)
        if (more === 0) break
        written += more
      }
      budget -= written
      // Weights share bytes, not frames.
      if (written > 0) this.#scheduler.sent?.(id, written)
      if (this.#canContinue(stream, id)) this.#scheduler.push(id)
    }
    this.#checkFinished()
    return out
  }

  /** The stream still has frames it may send now. */
  #canContinue(stream: Stream, id: number): boolean {
    return stream.out.length > 0 && !stream.blocked && !stream.parked && this.#streams.has(id)
  }

  /**
   * A 9-byte view for a DATA frame header, cut from a shared slab. A small Uint8Array of its own lives on
   * V8's heap, and the socket write that needs its ArrayBuffer would move it off the heap (a malloc and a
   * free per frame); views of one slab share a buffer that is already off the heap. A slab is never
   * written twice: the views handed out may still be waiting in the socket's queue.
   */
  #dataHeader(streamId: number, length: number, endStream: boolean): Uint8Array {
    let offset = this.#slabOffset
    if (offset + 9 > this.#slab.length) {
      this.#slab = this.#allocate(HEADER_SLAB_SIZE)
      offset = 0
    }
    encodeDataFrameHeader(this.#slab, offset, streamId, length, endStream)
    this.#slabOffset = offset + 9
    return this.#slab.subarray(offset, offset + 9)
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
    if (item.kind === 'promise') return this.#writePromise(stream, item.promised, item.fields, out)
    if (item.kind === 'headers' && stream.state === 'reserved-local') {
      // §5.1.2: the pushed response opens a stream of ours, which counts toward the client's limit.
      if (this.#localActive >= this.#remote.maxConcurrentStreams) {
        if (!stream.parked) {
          stream.parked = true
          this.#parked.push(stream)
        }
        return 0
      }
      stream.state = 'half-closed-remote'
      stream.counted = true
      this.#localActive++
    }
    if (item.kind === 'headers') {
      stream.out.shift()
      // HPACK blocks must be encoded in the order they go on the wire.
      const block = this.#hpackOut.encode(item.fields)
      this.stats.headerBytesSent.encoded += block.length
      this.stats.headerBytesSent.raw += this.#hpackOut.lastHeaderListSize
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
    if (remaining > 0 && (n <= 0 || (n < remaining && this.#dribbling(stream, n)))) {
      // Out of window (or a dribbled sliver of one): park the stream until a WINDOW_UPDATE (stream or
      // connection) arrives. The stream's own window being the larger, the connection's is what it needs.
      if (!stream.blocked) stream.blockedSince = this.#now()
      stream.blocked = true
      if (stream.sendWindow > Math.max(0, n)) this.#connectionBlocked.add(stream.id)
      return 0
    }
    n = Math.max(0, n)
    const last = item.offset + n === item.data.length
    const endStream = last && item.endStream
    out.push(this.#dataHeader(stream.id, n, endStream))
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

  /** Writes a PUSH_PROMISE (§6.6): from here on the client knows the promised stream (reserved). */
  #writePromise(stream: Stream, promised: Stream, fields: HeaderField[], out: Uint8Array[]): number {
    stream.out.shift()
    if (!this.#streams.has(promised.id)) return 0 // the application reset it first
    if (!this.#remote.enablePush) {
      // The client turned push off after the promise was queued: it must not be sent (§8.4).
      this.#cancelPush(promised)
      return 0
    }
    // HPACK blocks must be encoded in the order they go on the wire.
    const block = this.#hpackOut.encode(fields)
    const bytes = encodePushPromiseBlock({
      streamId: stream.id,
      promisedStreamId: promised.id,
      block,
      maxFrameSize: this.#remote.maxFrameSize,
    })
    out.push(bytes)
    promised.opened = true
    // RFC 7540 §5.3.5: a pushed stream depends on its associated stream, with the default weight.
    this.#scheduler.open?.(promised.id, [
      { scheme: 'rfc7540', dependency: stream.id, weight: DEFAULT_WEIGHT, exclusive: false },
    ])
    if (promised.out.length > 0 && !promised.blocked) this.#scheduler.push(promised.id)
    return bytes.length
  }

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
      stream.state === 'reserved-remote' ||
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
    if (stream.state === 'reserved-remote') this.#reservedRemote--
    if (stream.parked) {
      stream.parked = false
      this.#parked.splice(this.#parked.indexOf(stream), 1)
    }
    // Bytes delivered but never consumed would otherwise hold the connection window shut forever.
    if (stream.unconsumed > 0) {
      this.#releaseConnection(stream.unconsumed)
      stream.unconsumed = 0
    }
    stream.state = 'closed'
    this.#streams.delete(stream.id)
    this.#scheduler.remove(stream.id)
    this.#connectionBlocked.delete(stream.id)
    if (dropQueued || stream.queuedBytes > 0) {
      this.#queuedBytes -= stream.queuedBytes
      stream.queuedBytes = 0
      const dropped = stream.out.splice(0)
      // A promise that never went out takes its pushed stream with it (the client never heard of it).
      for (const item of dropped) if (item.kind === 'promise') this.#cancelPush(item.promised)
    }
    this.#events.push({ type: 'streamClosed', streamId: stream.id })
    this.#checkFinished()
  }

  #cancelPush(promised: Stream): void {
    if (!this.#streams.has(promised.id)) return
    this.#events.push({
      type: 'streamReset',
      streamId: promised.id,
      code: ErrorCode.CANCEL,
      origin: 'local',
      error: new StreamError(promised.id, ErrorCode.CANCEL, 'push-cancelled', 'the promise was not sent'),
      retryable: false,
    })
    this.#close(promised)
  }

  #streamError(error: StreamError): void {
    const stream = this.#streams.get(error.streamId)
    this.#rememberReset(error.streamId)
    this.#queueAnswer(rstStream(error.streamId, error.code))
    this.#events.push({
      type: 'streamReset',
      streamId: error.streamId,
      code: error.code,
      origin: 'local',
      error,
      retryable: false,
    })
    if (stream !== undefined) this.#close(stream)
    // Resets the peer provokes count like the ones it sends (MadeYouReset).
    this.#spendReset()
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

  /**
   * A RST_STREAM answering a frame the peer sent goes out in the order of the peer's frames, with the
   * SETTINGS and PING ACKs: a peer that follows a bad frame with a PING sees the reset before the PING ACK,
   * so it knows within one round trip what became of its stream (the conformance suite relies on it).
   */
  #queueAnswer(frame: Uint8Array): void {
    this.#queueUrgent(frame)
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
    for (const stream of this.#streams.values()) {
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

/** The priority fields of HEADERS or PRIORITY as a scheduler signal. */
function rfc7540(priority: Priority): PrioritySignal {
  return {
    scheme: 'rfc7540',
    dependency: priority.dependency,
    weight: priority.weight,
    exclusive: priority.exclusive,
  }
}

/** RFC 9218 §4: what a parsed `priority` field value says, absent parameters at their defaults. */
function toUrgency(
  fields: { urgency?: number; incremental?: boolean } | undefined,
): Rfc9218Priority | undefined {
  if (fields === undefined) return undefined
  return {
    scheme: 'rfc9218',
    urgency: fields.urgency ?? DEFAULT_URGENCY,
    incremental: fields.incremental ?? false,
  }
}

/** An application's priority, if its urgency is one RFC 9218 §4.1 allows (0–7). */
function validUrgency(priority: Rfc9218Priority | undefined): Rfc9218Priority | undefined {
  return priority !== undefined &&
    Number.isInteger(priority.urgency) &&
    priority.urgency >= 0 &&
    priority.urgency <= 7
    ? priority
    : undefined
}

/** The request's `priority` header (RFC 9218 §5), its lines joined as one list (RFC 9110 §5.3). */
function priorityHeader(fields: readonly HeaderField[]): Rfc9218Priority | undefined {
  let value: string | undefined
  for (const [name, v] of fields) if (name === 'priority') value = value === undefined ? v : `${value}, ${v}`
  return value === undefined ? undefined : toUrgency(parsePriorityField(value))
}

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
