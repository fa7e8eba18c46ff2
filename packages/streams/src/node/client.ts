/**
 * An HTTP/2 client on a Node socket: `connect(url)` opens one connection (cleartext with prior knowledge
 * for http:, TLS with ALPN "h2" for https:), and `request()` multiplexes streams over it.
 */
import * as net from 'node:net'
import * as tls from 'node:tls'
import { ErrorCode } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import { StreamError } from '../errors.js'
import type { HeadersReceived, PushPromised } from '../events.js'
import type { Settings } from '../settings.js'
import {
  asBuffer,
  BODY_HIGH_WATER_MARK,
  headersToObject,
  IncomingBody,
  type IncomingHeaders,
  NodeSession,
  OutgoingBody,
  type OutgoingHeaders,
  type SessionOptions,
  toFields,
} from './session.js'

export interface ConnectOptions extends SessionOptions {
  /** TLS options for https: (ca, servername, rejectUnauthorized…); ALPN is always "h2". */
  tls?: Omit<tls.ConnectionOptions, 'ALPNProtocols' | 'host' | 'port'>
  /** Milliseconds to wait for the TCP (and TLS) connection (default 10 s). */
  connectTimeout?: number
  /**
   * Accept server push (sends SETTINGS_ENABLE_PUSH = 1; default false). Pushed responses are emitted as
   * 'push' events; with no 'push' listener they are refused (RST_STREAM CANCEL).
   */
  enablePush?: boolean
}

/** A response the server pushed (RFC 9113 §8.4): the request it promised, and the response. */
export interface PushedResponse {
  /** The stream of the request the push belongs to. */
  readonly associatedStreamId: number
  /** The pushed stream. */
  readonly streamId: number
  readonly method: string
  readonly path: string | undefined
  readonly scheme: string | undefined
  readonly authority: string | undefined
  /** The promised request's regular fields. */
  readonly headers: IncomingHeaders
  readonly fields: readonly HeaderField[]
  /** The pushed response, as for a request of our own. */
  readonly response: Promise<ClientResponse>
  /** Refuses or stops the push (RST_STREAM, default CANCEL). */
  cancel(code?: number): void
}

export interface ClientResponse {
  readonly status: number
  readonly headers: IncomingHeaders
  readonly fields: readonly HeaderField[]
  /** 1xx responses received before this one. */
  readonly informational: ReadonlyArray<{ status: number; headers: IncomingHeaders }>
  /** The body as a Readable, made when first asked for (what arrived before is in it). */
  readonly body: IncomingBody
  /**
   * The whole body, if it has all arrived (END_STREAM) and no more than `maxBytes` of it, and `body` was
   * not asked for: its chunks and trailers, taken without making a stream (a short answer often arrives
   * with its headers). Afterwards `body` is an empty, ended stream. Otherwise undefined, and nothing changes.
   */
  completeBody(maxBytes?: number): CompleteBody | undefined
}

/** A body that arrived whole: see `ClientResponse.completeBody`. */
export interface CompleteBody {
  readonly chunks: readonly Buffer[]
  readonly bytes: number
  readonly trailers: IncomingHeaders
}

/** A response; its headers object is made only if asked for (a proxy passes `fields` on as they are). */
class Response implements ClientResponse {
  #headers: IncomingHeaders | undefined

  constructor(
    readonly status: number,
    readonly fields: readonly HeaderField[],
    readonly informational: ReadonlyArray<{ status: number; headers: IncomingHeaders }>,
    private readonly request: ClientRequest,
  ) {}

  get headers(): IncomingHeaders {
    this.#headers ??= headersToObject(this.fields, true)
    return this.#headers
  }

  get body(): IncomingBody {
    return this.request.responseBody()
  }

  completeBody(maxBytes = Number.POSITIVE_INFINITY): CompleteBody | undefined {
    return this.request.takeCompleteBody(maxBytes)
  }
}

const NO_CHUNKS: readonly Buffer[] = []

/** Failure of a request's stream. `retryable` is true when the server did not process it (§8.7). */
export type RequestError = StreamError

/** A request in flight: write its body (it is a Writable), await `response`. */
export class ClientRequest extends OutgoingBody {
  readonly response: Promise<ClientResponse>
  #resolve!: (r: ClientResponse) => void
  #reject!: (e: Error) => void
  #contentLength: number | undefined
  readonly #informational: Array<{ status: number; headers: IncomingHeaders }> = []
  /** The response body's stream, once someone asked for it; until then what arrives is kept below. */
  #body: IncomingBody | undefined
  /** A final response arrived (there is a body to speak of). */
  #responded = false
  #chunks: Buffer[] | undefined
  /** Body bytes received. */
  #received = 0
  /** Bytes kept here whose flow-control window is not released yet (past BODY_HIGH_WATER_MARK). */
  #withheld = 0
  /** END_STREAM (or the stream's end) came: the body is whole. */
  #ended = false
  #trailers: IncomingHeaders | undefined
  /** Why the body failed, before it had a stream. */
  #failure: Error | undefined
  /** completeBody() took the body: a stream made later is empty. */
  #taken = false

  constructor(
    private readonly owner: ClientSession,
    streamId: number,
  ) {
    super(owner, streamId, () => {})
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // The caller may await `response` late, or never: do not let a failure become an unhandled rejection.
    this.response.catch(() => {})
  }

  /** Cancels the request (RST_STREAM, default CANCEL); a response still awaited is rejected with it. */
  reset(code: number = ErrorCode.CANCEL): void {
    this.owner.resetStream(this.streamId, code)
    // No response comes on a stream we reset: whoever awaits it must learn now, not never.
    this.#reject(new StreamError(this.streamId, code, 'reset-by-application', 'the request was reset'))
  }

  /** @internal */
  onHeaders(event: HeadersReceived): void {
    if (event.kind === 'informational') {
      this.#informational.push({
        status: event.response!.status,
        headers: headersToObject(event.fields, true),
      })
      return
    }
    if (event.kind === 'trailers') {
      this.#finishBody(headersToObject(event.fields))
      return
    }
    this.#responded = true
    this.#contentLength = event.response?.contentLength
    this.#resolve(new Response(event.response!.status, event.fields, this.#informational, this))
    if (event.endStream) this.#finishBody()
  }

  /** @internal */
  onData(data: Uint8Array, endStream: boolean): void {
    if (this.#body !== undefined) this.#body.deliver(data)
    else if (data.length > 0) {
      // No stream yet: keep the bytes (a view of the socket's chunk, which nothing else writes to), and
      // release their window as the stream would: while what is kept stays below its high-water mark.
      this.#received += data.length
      this.#chunks ??= []
      this.#chunks.push(asBuffer(data))
      if (this.#received < BODY_HIGH_WATER_MARK) this.owner.consumed(this.streamId, data.length)
      else this.#withheld += data.length
    }
    if (endStream) this.#finishBody()
  }

  #finishBody(trailers?: IncomingHeaders): void {
    if (this.#body !== undefined) this.#body.finish(trailers)
    else if (!this.#ended) {
      this.#ended = true
      this.#trailers = trailers
    }
  }

  #failBody(error: Error): void {
    if (this.#body !== undefined) this.#body.fail(error)
    else if (!this.#ended) this.#failure ??= error
  }

  /** @internal the response's body stream, made now if nobody asked before */
  responseBody(): IncomingBody {
    if (this.#body !== undefined) return this.#body
    const body = new IncomingBody(this.owner, this.streamId)
    this.#body = body
    const chunks = this.#chunks
    this.#chunks = undefined
    if (chunks !== undefined) body.replay(chunks, this.#received, this.#withheld)
    this.#withheld = 0
    const failure = this.#failure
    // A failure that came first is reported a tick later, once the caller has had the chance to listen
    // for 'error' (see quietly(): with nobody listening the body just ends early).
    if (failure !== undefined) process.nextTick(() => body.fail(failure))
    else if (this.#ended) body.finish(this.#trailers)
    return body
  }

  /** @internal see ClientResponse.completeBody */
  takeCompleteBody(maxBytes: number): CompleteBody | undefined {
    if (this.#body !== undefined || this.#taken || !this.#ended || this.#failure !== undefined)
      return undefined
    if (this.#received > maxBytes) return undefined
    const whole = { chunks: this.#chunks ?? NO_CHUNKS, bytes: this.#received, trailers: this.#trailers ?? {} }
    this.#chunks = undefined
    // Bytes whose window is still held are released: nobody will read them through a stream.
    if (this.#withheld > 0) this.owner.consumed(this.streamId, this.#withheld)
    this.#withheld = 0
    // What `body` gives from now on, if anyone asks: the end, and no bytes (they were taken).
    this.#taken = true
    return whole
  }

  /** @internal */
  onReset(error: StreamError): void {
    this.#reject(error)
    if (error.code === ErrorCode.NO_ERROR && this.#responded) {
      // §8.1: after a complete response, RST_STREAM(NO_ERROR) asks us to stop sending the request body.
      // node:http2 servers under load also end responses with RST_STREAM(NO_ERROR) in place of END_STREAM;
      // like curl and node's client, take it as the end of the body (the sender says there is no error),
      // unless a content-length shows bytes are missing.
      const complete = this.#body?.complete ?? this.#ended
      const received = this.#body?.bytesDelivered ?? this.#received
      if (complete || this.#contentLength === undefined || received === this.#contentLength) {
        this.#finishBody()
      } else {
        this.#failBody(error)
      }
      if (!this.writableFinished) this.destroy()
      return
    }
    if (this.#responded) this.#failBody(error)
    this.fail(error)
  }

  /** @internal */
  onDrained(): void {
    this.drained()
  }

  /** @internal */
  onClosed(): void {
    if (this.#body !== undefined) {
      if (!this.#body.readableEnded) this.#body.push(null)
    } else if (this.#responded) {
      this.#finishBody()
    }
  }
}

export class ClientSession extends NodeSession {
  constructor(
    socket: net.Socket,
    options: ConnectOptions,
    private readonly defaults: { scheme: string; authority: string },
  ) {
    const connection =
      options.enablePush === undefined
        ? options.connection
        : {
            ...options.connection,
            settings: { ...options.connection?.settings, enablePush: options.enablePush },
          }
    super(socket, { ...connection, role: 'client' }, options)
    this.once('remoteSettings', () => {
      this.#gotSettings = true
    })
  }

  #gotSettings = false

  /**
   * Resolves with the server's settings once its first SETTINGS frame has arrived: wait for it before an
   * extended CONNECT (RFC 8441 §3, SETTINGS_ENABLE_CONNECT_PROTOCOL).
   */
  remoteSettings(): Promise<Readonly<Settings>> {
    if (this.#gotSettings) return Promise.resolve(this.connection.remoteSettings)
    return new Promise((resolve, reject) => {
      const onSettings = () => {
        this.off('close', onClose)
        resolve(this.connection.remoteSettings)
      }
      const onClose = (error?: Error) => {
        this.off('remoteSettings', onSettings)
        reject(error ?? new Error('session closed before the server sent SETTINGS'))
      }
      this.once('remoteSettings', onSettings)
      this.once('close', onClose)
    })
  }

  /**
   * Starts a request. `headers` may omit :method (GET), :scheme and :authority (from the URL) and :path
   * ('/'). With `endStream` (or a GET/HEAD without body) the request has no body; otherwise write it to the
   * returned object and call end(). Throws a UsageError when the connection cannot take new streams.
   */
  request(headers: OutgoingHeaders = {}, options: { endStream?: boolean } = {}): ClientRequest {
    const given = toFields(headers)
    // One pass over the pseudo-header fields (they come first): which ones the caller gave.
    let method: string | undefined
    let scheme = false
    let authority = false
    let path = false
    let protocol = false
    for (const [name, value] of given) {
      if (name.charCodeAt(0) !== 0x3a) break
      if (name === ':method') method = value
      else if (name === ':scheme') scheme = true
      else if (name === ':authority') authority = true
      else if (name === ':path') path = true
      else if (name === ':protocol') protocol = true
    }
    const pseudo: HeaderField[] = []
    if (method === undefined) pseudo.push([':method', 'GET'])
    // RFC 9113 §8.5: a plain CONNECT has :authority only; an extended one (RFC 8441 §4) has all four.
    const tunnel = method === 'CONNECT' && !protocol
    if (!scheme && !tunnel) pseudo.push([':scheme', this.defaults.scheme])
    if (!authority) pseudo.push([':authority', this.defaults.authority])
    if (!path && !tunnel) pseudo.push([':path', '/'])
    const fields =
      pseudo.length === 0
        ? given
        : [
            ...given.filter(([n]) => n.charCodeAt(0) === 0x3a),
            ...pseudo,
            ...given.filter(([n]) => n.charCodeAt(0) !== 0x3a),
          ]
    const id = this.connection.request(fields, options)
    const request = new ClientRequest(this, id)
    this.streams.set(id, request)
    if (options.endStream === true) request.endedWithHeaders()
    this.flushStarted()
    return request
  }

  protected onNewStream(_event: HeadersReceived): void {
    // Servers cannot open streams with HEADERS (the engine rejects it); pushed ones come as promises.
  }

  protected override onPushPromise(event: PushPromised): void {
    const id = event.promisedStreamId
    if (this.listenerCount('push') === 0) {
      // Nobody takes pushes: refuse at once rather than buffer a response no one reads.
      this.connection.resetStream(id, ErrorCode.CANCEL)
      this.flush()
      return
    }
    // The pushed stream is half-closed on our side: a request object whose body has already ended.
    const holder = new ClientRequest(this, id)
    holder.endedWithHeaders()
    this.streams.set(id, holder)
    const head = event.request
    const pushed: PushedResponse = {
      associatedStreamId: event.streamId,
      streamId: id,
      method: head.method,
      path: head.path,
      scheme: head.scheme,
      authority: head.authority,
      headers: headersToObject(event.fields, true),
      fields: event.fields,
      response: holder.response,
      cancel: (code?: number) => holder.reset(code),
    }
    this.emit('push', pushed)
  }
}

/** Opens a connection and resolves once the TCP/TLS handshake is done (HTTP/2 SETTINGS are in flight). */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<ClientSession> {
  const target = typeof url === 'string' ? new URL(url) : url
  const secure = target.protocol === 'https:'
  if (!secure && target.protocol !== 'http:') throw new TypeError(`unsupported scheme ${target.protocol}`)
  const host = target.hostname.replace(/^\[|\]$/g, '')
  const port = Number(target.port || (secure ? 443 : 80))
  const defaults = { scheme: secure ? 'https' : 'http', authority: target.host }
  return new Promise((resolve, reject) => {
    const timeout = options.connectTimeout ?? 10_000
    let socket: net.Socket
    const fail = (error: Error) => {
      socket.destroy()
      reject(error)
    }
    const ready = () => {
      socket.setTimeout(0)
      socket.off('error', fail)
      if (secure && (socket as tls.TLSSocket).alpnProtocol !== 'h2') {
        fail(
          new Error(
            `the server did not agree to HTTP/2 (ALPN: ${(socket as tls.TLSSocket).alpnProtocol || 'none'})`,
          ),
        )
        return
      }
      resolve(new ClientSession(socket, options, defaults))
    }
    if (secure) {
      socket = tls.connect(
        {
          servername: net.isIP(host) ? undefined : host,
          ...options.tls,
          host,
          port,
          ALPNProtocols: ['h2'],
        } as tls.ConnectionOptions,
        ready,
      )
    } else {
      socket = net.connect({ host, port }, ready)
    }
    socket.setTimeout(timeout, () => fail(new Error(`connect timeout after ${timeout} ms`)))
    socket.once('error', fail)
  })
}
