/**
 * The Node edge of a connection: a socket on one side, the sans-IO engine on the other.
 *
 * Socket data goes into `receive`; what `pullOutbound` returns is written inside cork()/uncork(); pulling
 * stops while `write()` returns false and resumes on 'drain', so a slow peer backs up into the engine's
 * queues (and, through `sendData` returning false, into the application's streams). One owner mutates the
 * engine: everything here runs on the socket's event loop turn.
 */
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { Readable, Writable } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { ErrorCode } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import { Connection, type ConnectionOptions } from '../connection.js'
import { ConnectionError, StreamError } from '../errors.js'
import type { ConnectionEvent, HeadersReceived, PushPromised } from '../events.js'
import { IdMap } from '../id-map.js'
import { channels } from './diagnostics.js'

export type OutgoingHeaders = Record<string, string | number | readonly string[]> | ReadonlyArray<HeaderField>
export type IncomingHeaders = Record<string, string | string[]>

const EMPTY = new Uint8Array(0)
const RESOLVED = Promise.resolve()

/** How much of a received body is buffered before the peer's window stops opening (until it is read). */
export const BODY_HIGH_WATER_MARK = 64 * 1024
/** DATA payloads at least this large are written by reference rather than copied into a batch. */
const LARGE_CHUNK = 16 * 1024
/** How long a socket that was end()ed after the final GOAWAY may take to close before it is destroyed. */
const END_GRACE_MS = 1000
/**
 * Bytes taken from the engine per write batch. On cleartext TCP a large batch is one writev of views of the
 * application's buffers, and fewer syscalls win. A TLS socket copies each write whole into one buffer and
 * encrypts it (node's TLSWrap): batches of 64 KiB (four 16 KiB records) keep that copy in cache and the
 * buffers small. Measured on 1 MiB responses (h2load -c 10 -m 1): TLS at 64 KiB against 1 MiB, ~20% less
 * CPU per response and 14 MiB less peak RSS; cleartext at 64 KiB, ~15% more CPU.
 */
const PULL_BUDGET = 1024 * 1024
const TLS_PULL_BUDGET = 64 * 1024
/**
 * Streams one job may start under 'immediate' timing before what is queued is written early (burstLimit).
 * h2load -c 1 -m 100 through the gateway, proxy and upstream on separate cores: 25 gave ~20% more
 * requests/s than writing all 100 at the end of the turn, at the same CPU per request; 10 cost ~20% more CPU.
 */
const DEFAULT_BURST_LIMIT = 25

export interface SessionOptions {
  /** Engine options (settings, windows, limits); the role is set by the server or client. */
  connection?: Omit<ConnectionOptions, 'role'>
  /** Close a connection that has had no open stream for this long (ms; default 5 minutes, 0 = never). */
  idleTimeout?: number
  /** Send a PING after this long without incoming bytes, and close if it goes unanswered (ms; 0 = off). */
  keepAliveInterval?: number
  /**
   * Close the connection when the socket has taken none of our bytes for this long while we have some to
   * write (ms; default 30 s; 0 = never): a peer that opens windows and never reads (CVE-2019-9517) holds
   * buffers and handlers until then.
   */
  writeTimeout?: number
  /**
   * When queued frames are written. 'microtask': at the end of the job that queued them (one write per batch
   * of input, the soonest). 'immediate': once per turn of the event loop, after all the I/O of that turn, so
   * streams started from many events (a proxy's requests from many client connections) share one write,
   * and the peer one read. Default: 'immediate' for clients, 'microtask' for servers, which mostly answer
   * their own socket's input.
   */
  flushTiming?: 'microtask' | 'immediate'
  /**
   * With 'immediate' timing (a client's): when one job (one input event, one timer) starts this many
   * requests, what is queued so far is written at once instead of at the end of the turn, so the server
   * starts on the first while the rest are made (a proxy forwarding a client's burst of 100 streams).
   * Requests from separate jobs still share one write. Default 25; 0 = never early.
   */
  burstLimit?: number
}

/**
 * Lowercase names, list values joined as RFC 9110 §5.3 allows (set-cookie kept as a list); with
 * `skipPseudo`, pseudo-header fields are left out.
 */
export function headersToObject(fields: readonly HeaderField[], skipPseudo = false): IncomingHeaders {
  const out: IncomingHeaders = {}
  for (const [name, value] of fields) {
    if (skipPseudo && name.charCodeAt(0) === 0x3a) continue
    const prev = out[name]
    if (prev === undefined) out[name] = name === 'set-cookie' ? [value] : value
    else if (Array.isArray(prev)) prev.push(value)
    else out[name] = name === 'cookie' ? `${prev}; ${value}` : `${prev}, ${value}`
  }
  return out
}

/**
 * Turns outgoing headers into a field list, pseudo-header fields first (RFC 9113 §8.3), after `leading`
 * (fields the caller puts first, e.g. `:status`).
 */
export function toFields(headers: OutgoingHeaders, leading?: HeaderField): HeaderField[] {
  if (Array.isArray(headers) && isInOrder(headers as ReadonlyArray<HeaderField>)) {
    // The usual case for a list (a proxy passing on what it received): taken as it is, with no copy here
    // (the engine keeps its own copy of what it queues).
    const fields = headers as HeaderField[]
    return leading === undefined ? fields : [leading, ...fields]
  }
  const regular: HeaderField[] = []
  let pseudo: HeaderField[] | undefined
  const add = (field: HeaderField) => {
    if (field[0].charCodeAt(0) !== 0x3a) regular.push(field)
    else if (pseudo === undefined) pseudo = [field]
    else pseudo.push(field)
  }
  if (Array.isArray(headers)) {
    for (const field of headers as ReadonlyArray<HeaderField>) {
      const name = field[0]
      const lower = lowerCase(name)
      // A field whose name is lowercase already is taken as it is (its never-indexed flag with it, RFC 7541
      // §7.1.3); the others are copied with the name lowercased.
      add(lower === name ? field : field[2] === undefined ? [lower, field[1]] : [lower, field[1], field[2]])
    }
  } else {
    const record = headers as Record<string, string | number | readonly string[]>
    // for…in rather than Object.entries: no array per call (this runs once per response).
    for (const name in record) {
      if (!Object.hasOwn(record, name)) continue
      const value = record[name]!
      const lower = lowerCase(name)
      if (Array.isArray(value)) for (const v of value as readonly string[]) add([lower, v])
      else add([lower, typeof value === 'string' ? value : String(value)])
    }
  }
  if (pseudo === undefined) {
    if (leading !== undefined) regular.unshift(leading)
    return regular
  }
  return leading === undefined ? [...pseudo, ...regular] : [leading, ...pseudo, ...regular]
}

function defaultFlushTiming(role: ConnectionOptions['role']): 'microtask' | 'immediate' {
  return role === 'client' ? 'immediate' : 'microtask'
}

/** Lowercase names, pseudo-header fields first: a list toFields can pass on as it is. */
function isInOrder(fields: ReadonlyArray<HeaderField>): boolean {
  let regular = false
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]![0]
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return false
    } else {
      regular = true
    }
    if (lowerCase(name) !== name) return false
  }
  return true
}

/** The same bytes as a Buffer, without a copy (and without a new object when they are one already). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Field names are nearly always lowercase already: check before making a new string. */
function lowerCase(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase()
  }
  return name
}

/**
 * A request or response body arriving on a stream. Reading it is what opens the flow-control window: the
 * engine is told the bytes were consumed only once the stream's buffer has room, so a slow reader slows the
 * peer down instead of filling memory.
 */
export class IncomingBody extends Readable {
  /** Trailers, once the body has ended (empty if there were none). */
  trailers: IncomingHeaders = {}
  #withheld = 0
  #complete = false

  constructor(
    private readonly session: NodeSession,
    readonly streamId: number,
  ) {
    super({ highWaterMark: BODY_HIGH_WATER_MARK })
  }

  override _read(): void {
    if (this.#withheld > 0) {
      const n = this.#withheld
      this.#withheld = 0
      this.session.consumed(this.streamId, n)
    }
  }

  /** Body bytes received so far. */
  bytesDelivered = 0

  /** The whole body arrived (END_STREAM). */
  get complete(): boolean {
    return this.#complete
  }

  /**
   * @internal Bytes that arrived before this body existed (see ClientResponse.body): pushed as they are,
   * the flow-control accounting done already (`withheld` bytes are released as they are read).
   */
  replay(chunks: readonly Buffer[], bytes: number, withheld: number): void {
    this.bytesDelivered += bytes
    this.#withheld += withheld
    for (const chunk of chunks) this.push(chunk)
  }

  /** @internal */
  deliver(data: Uint8Array): void {
    if (data.length === 0) return
    this.bytesDelivered += data.length
    // The bytes belong to a socket chunk (or a frame buffer) that nothing else writes to: no copy.
    const ok = this.push(asBuffer(data))
    if (ok) this.session.consumed(this.streamId, data.length)
    else this.#withheld += data.length
  }

  /** @internal */
  finish(trailers?: IncomingHeaders): void {
    if (this.#complete) return
    this.#complete = true
    if (trailers !== undefined) this.trailers = trailers
    this.push(null)
  }

  /**
   * @internal A reset fails a body still arriving. A body that arrived whole stays readable: a server may
   * reset a stream with NO_ERROR after its complete response, and the response must not be discarded
   * (RFC 9113 §8.1).
   */
  fail(error: Error): void {
    if (!this.#complete) this.destroy(quietly(this, error))
  }
}

/**
 * A body we send on a stream. `write()` hands chunks to the engine by reference (do not modify a chunk
 * after writing it); its callback waits while the stream has a full queue, i.e. while the peer's window or
 * the socket holds us back.
 */
export class OutgoingBody extends Writable {
  #pending: (() => void) | undefined
  #trailers: HeaderField[] | undefined
  /** END_STREAM already went out with a header section: end() has nothing left to send. */
  #sentEnd = false

  constructor(
    private readonly session: NodeSession,
    readonly streamId: number,
    private readonly beforeFirstWrite: () => void,
  ) {
    super({ highWaterMark: 64 * 1024 })
  }

  /** Trailers to send when the body ends (RFC 9113 §8.1). */
  setTrailers(headers: OutgoingHeaders): void {
    this.#trailers = toFields(headers)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.beforeFirstWrite()
      const more = this.session.connection.sendData(this.streamId, chunk)
      this.session.flush()
      if (more) callback()
      else this.#pending = () => callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  /**
   * Ends the body. When nothing is waiting in the Writable's buffer, the last chunk goes to the engine at
   * once with END_STREAM, so it leaves in the same write as what was queued before it and no empty DATA
   * frame follows (the Writable's own final step would run a tick later).
   */
  override end(cb?: () => void): this
  override end(chunk: unknown, cb?: () => void): this
  override end(chunk: unknown, encoding: BufferEncoding, cb?: () => void): this
  override end(a?: unknown, b?: unknown, c?: unknown): this {
    const chunk = typeof a === 'function' ? undefined : a
    const encoding = typeof b === 'string' ? (b as BufferEncoding) : undefined
    const cb = (typeof a === 'function' ? a : typeof b === 'function' ? b : c) as (() => void) | undefined
    const last =
      chunk === undefined || chunk === null
        ? EMPTY
        : typeof chunk === 'string'
          ? Buffer.from(chunk, encoding)
          : chunk instanceof Uint8Array
            ? chunk
            : undefined
    if (
      last === undefined ||
      this.#sentEnd ||
      this.#trailers !== undefined ||
      this.writableEnded ||
      this.destroyed ||
      this.writableLength > 0 ||
      this.writableCorked > 0
    ) {
      // The general path: through the Writable's buffer, then _final.
      if (chunk === undefined) return super.end(cb)
      return encoding === undefined ? super.end(chunk, cb) : super.end(chunk, encoding, cb)
    }
    try {
      this.beforeFirstWrite()
      this.session.connection.sendData(this.streamId, last, { endStream: true })
      this.#sentEnd = true
      this.session.flush()
    } catch (error) {
      this.destroy(error as Error)
      return this
    }
    return super.end(cb)
  }

  /** @internal END_STREAM was sent with the headers; ends this writable without sending anything. */
  endedWithHeaders(): void {
    this.#sentEnd = true
    this.end()
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#sentEnd) {
      callback()
      return
    }
    try {
      this.beforeFirstWrite()
      const conn = this.session.connection
      if (this.#trailers !== undefined) conn.sendHeaders(this.streamId, this.#trailers, { endStream: true })
      else conn.sendData(this.streamId, new Uint8Array(0), { endStream: true })
      this.session.flush()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  /** @internal the engine's queue for this stream drained */
  drained(): void {
    const pending = this.#pending
    this.#pending = undefined
    pending?.()
  }

  /** @internal */
  fail(error: Error): void {
    const pending = this.#pending
    this.#pending = undefined
    if (!this.destroyed) this.destroy(quietly(this, error))
    pending?.()
  }
}

/**
 * The error to destroy a body with when its stream is reset: only if someone listens for 'error' (a
 * pipeline, an async iterator, the application). A reset is the peer's right at any moment; with nobody
 * listening, an 'error' event would be an uncaught exception, and a peer could end the process with one
 * RST_STREAM. Readers still see the body end early (ERR_STREAM_PREMATURE_CLOSE).
 */
function quietly(stream: Readable | Writable, error: Error): Error | undefined {
  return stream.listenerCount('error') > 0 ? error : undefined
}

export interface StreamHandle {
  /** Headers (request, response, informational, trailers) for this stream. */
  onHeaders(event: HeadersReceived): void
  onData(data: Uint8Array, endStream: boolean): void
  onReset(error: StreamError): void
  onDrained(): void
  onClosed(): void
}

/**
 * Owns a socket and its engine. Subclasses (server and client sessions) decide what a new stream is.
 * Emits 'close' (with the error, if any) once; 'error' only if someone listens for it.
 */
export abstract class NodeSession extends EventEmitter {
  readonly connection: Connection
  protected readonly streams = new IdMap<StreamHandle>()
  #flushing = false
  #flushScheduled = false
  #again = false
  #blocked = false
  #closed = false
  /** close() was called (its GOAWAY is reported once). */
  #closing = false
  #settingsTimer: NodeJS.Timeout | undefined
  #keepAlive: NodeJS.Timeout | undefined
  #keepAlivePing: Uint8Array | undefined
  #writeTimer: NodeJS.Timeout | undefined
  readonly #writeTimeout: number
  readonly #idleTimeout: number
  readonly #keepAliveInterval: number
  readonly #flushImmediate: boolean
  readonly #pullBudget: number
  readonly #burstLimit: number
  /** Streams started by the current job (immediate timing only); reset by a microtask at its end. */
  #burst = 0
  /** Smoothed round-trip time from PINGs, in ms (undefined until one was measured). */
  rtt: number | undefined

  constructor(
    readonly socket: Socket,
    options: ConnectionOptions,
    sessionOptions: SessionOptions,
  ) {
    super()
    // Frame headers cut from Buffers are Buffers: written as they are, with no wrapper per frame.
    this.connection = new Connection({ allocate: (size) => Buffer.allocUnsafeSlow(size), ...options })
    this.#idleTimeout = sessionOptions.idleTimeout ?? 5 * 60_000
    this.#keepAliveInterval = sessionOptions.keepAliveInterval ?? 0
    this.#writeTimeout = sessionOptions.writeTimeout ?? 30_000
    this.#flushImmediate = (sessionOptions.flushTiming ?? defaultFlushTiming(options.role)) === 'immediate'
    this.#pullBudget = (socket as TLSSocket).encrypted === true ? TLS_PULL_BUDGET : PULL_BUDGET
    this.#burstLimit = this.#flushImmediate ? (sessionOptions.burstLimit ?? DEFAULT_BURST_LIMIT) : 0
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => {
      // The write timer stays armed: it finds the socket unblocked when it fires, and does nothing.
      this.#blocked = false
      this.flushNow()
    })
    socket.on('error', (error) => this.#destroy(error))
    socket.on('close', () => this.#destroy(undefined))
    socket.on('end', () => {
      // The peer will send nothing more; whatever was in flight is lost.
      this.#destroy(this.connection.finished ? undefined : new Error('connection closed by peer'))
    })
    if (this.#idleTimeout > 0) {
      socket.setTimeout(this.#idleTimeout, () => {
        if (this.connection.activeStreams === 0) this.close()
      })
    }
    this.#armKeepAlive()
    if (channels.sessionCreated.hasSubscribers) {
      channels.sessionCreated.publish({ session: this, role: this.connection.role })
    }
    this.flushNow()
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Resets a stream (RST_STREAM `code`) on the application's behalf. Prefer the request's or response's own
   * `reset()`; this is what they call.
   */
  resetStream(streamId: number, code: number): void {
    const state = this.connection.streamState(streamId)
    if (state !== 'closed' && state !== 'idle') this.#publishReset(streamId, code, 'sent', undefined)
    this.connection.resetStream(streamId, code)
    this.flush()
  }

  #publishReset(
    streamId: number,
    code: number,
    direction: 'sent' | 'received',
    error: StreamError | undefined,
  ): void {
    if (error !== undefined && error.origin === 'local' && channels.protocolError.hasSubscribers) {
      channels.protocolError.publish({
        session: this,
        role: this.connection.role,
        scope: 'stream',
        reason: error.reason,
        code: error.code,
      })
    }
    if (!channels.streamReset.hasSubscribers) return
    channels.streamReset.publish({
      session: this,
      role: this.connection.role,
      streamId,
      code,
      direction,
      reason: direction === 'received' ? undefined : (error?.reason ?? 'application'),
    })
  }

  #publishConnectionError(error: ConnectionError): void {
    if (error.origin === 'local' && channels.protocolError.hasSubscribers) {
      channels.protocolError.publish({
        session: this,
        role: this.connection.role,
        scope: 'connection',
        reason: error.reason,
        code: error.code,
      })
    }
    this.#publishGoAwaySent(error.code)
  }

  #publishGoAwaySent(code: number): void {
    if (channels.goAway.hasSubscribers) {
      channels.goAway.publish({
        session: this,
        role: this.connection.role,
        code,
        direction: 'sent',
        lastStreamId: undefined,
      })
    }
  }

  /** Graceful close: GOAWAY in two steps; open streams finish, then the socket closes. */
  close(): void {
    if (this.#closed) return
    if (!this.#closing && !this.connection.finished) this.#publishGoAwaySent(ErrorCode.NO_ERROR)
    this.#closing = true
    this.connection.shutdown()
    this.flush()
  }

  /** Immediate close with GOAWAY(code); open streams fail. */
  destroy(code: number = ErrorCode.NO_ERROR): void {
    if (this.#closed) return
    if (!this.connection.finished) this.#publishGoAwaySent(code)
    this.connection.goAway(code)
    this.flushNow()
    this.#destroy(
      new ConnectionError(code, 'destroyed', 'session destroyed by the application', 'application'),
    )
  }

  /** Sends a PING and resolves with its round-trip time in ms. */
  ping(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('session closed'))
      const data = this.connection.ping()
      const key = Buffer.from(data).toString('hex')
      const onAck = (ackKey: string, rtt: number) => {
        if (ackKey !== key) return
        this.off('pingAck', onAck)
        this.off('close', onClose)
        resolve(rtt)
      }
      const onClose = () => {
        this.off('pingAck', onAck)
        reject(new Error('session closed before the PING was answered'))
      }
      this.on('pingAck', onAck)
      this.once('close', onClose)
      this.flush()
    })
  }

  /** @internal the application read n bytes of a stream */
  consumed(streamId: number, n: number): void {
    this.connection.consumed(streamId, n)
    this.flush()
  }

  /**
   * Asks for what the engine has queued to be written. Calls made while handling one batch of input (or
   * in one turn of the event loop) are coalesced into a single write at the end of it.
   */
  flush(): void {
    if (this.#closed || this.#flushScheduled) return
    this.#flushScheduled = true
    if (this.#flushImmediate) setImmediate(this.#flushTask)
    // A microtask, as queueMicrotask would queue, without the async-context bookkeeping Node adds to each
    // queueMicrotask call (this runs once per batch of input, often once per request).
    else RESOLVED.then(this.#flushTask)
  }

  readonly #flushTask = (): void => {
    this.#flushScheduled = false
    this.flushNow()
  }

  /**
   * flush() for a stream just started: under 'immediate' timing, the job's `burstLimit`th new stream also
   * writes what is queued at once (see SessionOptions.burstLimit).
   */
  protected flushStarted(): void {
    if (this.#burstLimit > 0 && !this.#closed) {
      if (this.#burst++ === 0) RESOLVED.then(this.#endBurst)
      if (this.#burst % this.#burstLimit === 0) this.#writeQueued()
    }
    this.flush()
  }

  readonly #endBurst = (): void => {
    this.#burst = 0
  }

  /**
   * Writes what the engine has queued, mid-job. The events that yields wait for the scheduled flush
   * (flushStarted schedules one): the caller is inside request(), where no handler should run.
   */
  #writeQueued(): void {
    if (this.#flushing) return
    this.#flushing = true
    try {
      this.#writeAll()
    } finally {
      this.#flushing = false
    }
  }

  /** Writes what the engine has to send, as far as the socket takes it. */
  #writeAll(): void {
    while (!this.#blocked && this.connection.wantsWrite) {
      const chunks = this.connection.pullOutbound(this.#pullBudget)
      if (chunks.length === 0) break
      this.#write(chunks)
    }
  }

  /** Writes whatever the engine has to send, as far as the socket accepts it, now. */
  flushNow(): void {
    if (this.#closed) return
    if (this.#flushing) {
      this.#again = true
      return
    }
    this.#flushing = true
    try {
      do {
        this.#again = false
        this.#writeAll()
        this.#dispatch(this.connection.takeEvents())
      } while (this.#again)
    } finally {
      this.#flushing = false
    }
    this.#armSettingsTimer()
    if (this.connection.finished && !this.connection.wantsWrite) {
      // end() flushes what is written before closing. Destroying the socket at once would drop it: a TLS
      // socket encrypts and writes asynchronously, so the final GOAWAY (§5.4.1) would never leave. A peer
      // that does not read gets a short grace, then the socket is destroyed.
      this.socket.end()
      const socket = this.socket
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref()
      this.#destroy(this.connection.error, true)
    }
  }

  /**
   * Small chunks (frame headers, control frames, header blocks, short DATA) are copied into one buffer so
   * a batch costs one write; large DATA payloads go to the socket by reference, in order.
   */
  #write(chunks: Uint8Array[]): void {
    // Corked only once a large payload makes it more than one write: a batch of small chunks is one write,
    // and cork's buffering costs an object per chunk and a second pass at uncork().
    let corked = false
    let start = 0
    let small = 0
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!
      if (chunk.length < LARGE_CHUNK) {
        small += chunk.length
        continue
      }
      if (!corked && chunks.length > 1) {
        this.socket.cork()
        corked = true
      }
      if (i > start) this.#sendSmall(chunks, start, i, small)
      this.#send(chunk)
      start = i + 1
      small = 0
    }
    if (chunks.length > start) this.#sendSmall(chunks, start, chunks.length, small)
    if (corked) this.socket.uncork()
  }

  /** Chunks [from, to), `bytes` in all: one of them as it is, several copied into one buffer. */
  #sendSmall(chunks: Uint8Array[], from: number, to: number, bytes: number): void {
    if (to - from === 1) this.#send(chunks[from]!)
    else
      this.#send(Buffer.concat(from === 0 && to === chunks.length ? chunks : chunks.slice(from, to), bytes))
  }

  #send(chunk: Uint8Array): void {
    if (!this.socket.write(asBuffer(chunk)) && !this.#blocked) {
      this.#blocked = true
      this.#armWriteTimer()
    }
  }

  /**
   * The socket stopped taking bytes: if it does not drain within `writeTimeout`, the peer is not reading.
   * A large response blocks the socket at every batch, so one timer is kept and re-armed (refresh) rather
   * than a new one made and cleared each time.
   */
  #armWriteTimer(): void {
    if (this.#writeTimeout <= 0) return
    if (this.#writeTimer !== undefined) {
      this.#writeTimer.refresh()
      return
    }
    this.#writeTimer = setTimeout(() => {
      if (!this.#blocked) return
      this.#destroy(
        new ConnectionError(ErrorCode.NO_ERROR, 'write-timeout', 'the peer stopped reading', 'local'),
      )
    }, this.#writeTimeout)
    this.#writeTimer.unref()
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return
    this.#armKeepAlive()
    this.#dispatch(this.connection.receive(chunk))
    // A finished connection reads nothing more: a flood after our GOAWAY costs neither CPU nor memory.
    if (this.connection.finished) this.socket.pause()
    // Not flushNow(): handlers that respond with end(body) finish their stream on process.nextTick (the
    // Writable's final step), which runs before this microtask, so HEADERS, DATA and END_STREAM leave in one
    // write (and END_STREAM rides on the last DATA frame instead of an empty one).
    this.flush()
  }

  #dispatch(events: ConnectionEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'headersReceived': {
          const handle = this.streams.get(event.streamId)
          if (handle !== undefined) handle.onHeaders(event)
          else this.onNewStream(event)
          break
        }
        case 'dataReceived':
          this.streams.get(event.streamId)?.onData(event.data, event.endStream)
          break
        case 'streamReset': {
          const error =
            event.error ??
            new StreamError(
              event.streamId,
              event.code,
              event.retryable ? 'refused' : 'reset',
              'reset by the peer',
              'remote',
              event.retryable,
            )
          this.streams.get(event.streamId)?.onReset(error)
          this.#publishReset(
            event.streamId,
            event.code,
            event.origin === 'remote' ? 'received' : 'sent',
            event.error,
          )
          break
        }
        case 'streamDrained':
          // Only a drained queue releases a waiting write: a WINDOW_UPDATE alone may let out less than the
          // writer would add, and the queue would grow without bound.
          this.streams.get(event.streamId)?.onDrained()
          break
        case 'streamClosed': {
          const handle = this.streams.get(event.streamId)
          this.streams.delete(event.streamId)
          handle?.onClosed()
          break
        }
        case 'pingAcknowledged': {
          if (channels.pingAcknowledged.hasSubscribers) {
            channels.pingAcknowledged.publish({ session: this, role: this.connection.role, rtt: event.rtt })
          }
          this.rtt = this.rtt === undefined ? event.rtt : this.rtt * 0.8 + event.rtt * 0.2
          this.emit('pingAck', Buffer.from(event.data).toString('hex'), event.rtt)
          if (
            this.#keepAlivePing !== undefined &&
            Buffer.from(this.#keepAlivePing).equals(Buffer.from(event.data))
          ) {
            this.#keepAlivePing = undefined
          }
          break
        }
        case 'goAwayReceived':
          if (channels.goAway.hasSubscribers) {
            channels.goAway.publish({
              session: this,
              role: this.connection.role,
              code: event.code,
              direction: 'received',
              lastStreamId: event.lastStreamId,
            })
          }
          this.emit('goaway', event.code, event.lastStreamId)
          break
        case 'settingsReceived':
          this.emit('remoteSettings', event.settings)
          break
        case 'pushPromised':
          this.onPushPromise(event)
          break
        case 'connectionFailed':
          this.#publishConnectionError(event.error)
          this.emit('connectionError', event.error)
          break
        default:
          break
      }
    }
  }

  /** A peer's new stream (server: a request). */
  protected abstract onNewStream(event: HeadersReceived): void

  /** Client: the server promised a pushed response (RFC 9113 §8.4). */
  protected onPushPromise(_event: PushPromised): void {}

  #armSettingsTimer(): void {
    const deadline = this.connection.nextDeadline()
    if (this.#settingsTimer !== undefined) clearTimeout(this.#settingsTimer)
    this.#settingsTimer = undefined
    if (deadline === undefined || this.#closed) return
    this.#settingsTimer = setTimeout(
      () => {
        this.#dispatch(this.connection.tick())
        this.flush()
      },
      Math.max(0, deadline - Date.now()),
    )
    this.#settingsTimer.unref()
  }

  #armKeepAlive(): void {
    if (this.#keepAliveInterval <= 0 || this.#closed) return
    if (this.#keepAlive !== undefined) clearTimeout(this.#keepAlive)
    this.#keepAlive = setTimeout(() => {
      if (this.#keepAlivePing !== undefined) {
        // The last keep-alive PING went unanswered for a whole interval: the peer is gone.
        this.#destroy(
          new ConnectionError(ErrorCode.NO_ERROR, 'keepalive-timeout', 'PING not answered', 'local'),
        )
        this.socket.destroy()
        return
      }
      this.#keepAlivePing = this.connection.ping()
      this.flush()
      this.#armKeepAlive()
    }, this.#keepAliveInterval)
    this.#keepAlive.unref()
  }

  /** `ending`: the socket was end()ed after the last write and closes on its own (or after a grace). */
  #destroy(error: Error | undefined, ending = false): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#settingsTimer !== undefined) clearTimeout(this.#settingsTimer)
    if (this.#keepAlive !== undefined) clearTimeout(this.#keepAlive)
    if (this.#writeTimer !== undefined) clearTimeout(this.#writeTimer)
    const message = error?.message ?? 'session closed'
    for (const [id, handle] of this.streams.entries()) {
      handle.onReset(new StreamError(id, ErrorCode.CANCEL, 'session-closed', message, 'local'))
    }
    this.streams.clear()
    if (!ending && !this.socket.destroyed) this.socket.destroy()
    if (error !== undefined && this.listenerCount('error') > 0) this.emit('error', error)
    if (channels.sessionClosed.hasSubscribers) {
      channels.sessionClosed.publish({ session: this, role: this.connection.role, error })
    }
    this.emit('close', error)
  }
}
