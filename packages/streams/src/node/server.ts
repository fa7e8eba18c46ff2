/**
 * An HTTP/2 server on Node sockets: cleartext with prior knowledge (RFC 9113 §3.3) or TLS with ALPN "h2"
 * (§3.2). Each request reaches the handler as a readable body plus a response object.
 */
import { EventEmitter } from 'node:events'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { ErrorCode } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import type { StreamError } from '../errors.js'
import type { HeadersReceived } from '../events.js'
import type { PrioritySignal } from '../scheduler/scheduler.js'
import {
  headersToObject,
  IncomingBody,
  type IncomingHeaders,
  NodeSession,
  OutgoingBody,
  type OutgoingHeaders,
  type SessionOptions,
  toFields,
} from './session.js'

export interface ServerOptions extends SessionOptions {
  /** TLS: certificate and key (PEM); ALPN offers only "h2". Without it the server is cleartext. */
  tls?: Omit<tls.TlsOptions, 'ALPNProtocols'>
}

/** A request as the handler sees it. Its body is `request.body`, a Node Readable. */
export interface ServerRequest {
  readonly streamId: number
  readonly method: string
  /** Absent for CONNECT. */
  readonly path: string | undefined
  readonly scheme: string | undefined
  readonly authority: string | undefined
  /** RFC 8441 extended CONNECT protocol. */
  readonly protocol: string | undefined
  /** Regular fields as an object (lowercase names; repeated fields joined, set-cookie a list). */
  readonly headers: IncomingHeaders
  /** Every field as received, pseudo-header fields included, in order. */
  readonly fields: readonly HeaderField[]
  /** The body as a Readable, created when first asked for. */
  readonly body: IncomingBody
  /** False when the request ended with its headers (no body will come). */
  readonly hasBody: boolean
  readonly session: ServerSession
  /** Set when the stream is reset (by the peer or because of an error); the body is destroyed with it. */
  readonly resetError: StreamError | undefined
  /**
   * Aborted when the stream is reset or the session closes: pass it to whatever the handler waits on. A
   * handler that returns a promise keeps its stream's concurrency slot until the promise settles, even
   * after a reset (Rapid Reset, CVE-2023-44487), so stopping early frees the slot early.
   */
  readonly signal: AbortSignal
}

/**
 * The request object. The headers object and the body stream are built only if the handler asks for them:
 * a request without a body (END_STREAM on its HEADERS) whose handler never reads one costs no Readable.
 */
class Request implements ServerRequest {
  readonly streamId: number
  readonly method: string
  readonly path: string | undefined
  readonly scheme: string | undefined
  readonly authority: string | undefined
  readonly protocol: string | undefined
  readonly fields: readonly HeaderField[]
  readonly hasBody: boolean
  resetError: StreamError | undefined
  #headers: IncomingHeaders | undefined
  #body: IncomingBody | undefined
  /** What happened to the body before anyone asked for it. */
  #ended = false
  #trailers: IncomingHeaders | undefined
  #abort: AbortController | undefined

  constructor(
    event: HeadersReceived,
    readonly session: ServerSession,
  ) {
    const head = event.request!
    this.streamId = event.streamId
    this.method = head.method
    this.path = head.path
    this.scheme = head.scheme
    this.authority = head.authority
    this.protocol = head.protocol
    this.fields = event.fields
    this.hasBody = !event.endStream
    this.#ended = event.endStream
  }

  get body(): IncomingBody {
    if (this.#body === undefined) {
      const body = new IncomingBody(this.session, this.streamId)
      this.#body = body
      if (this.resetError !== undefined && !this.#ended) body.fail(this.resetError)
      else if (this.#ended) body.finish(this.#trailers)
    }
    return this.#body
  }

  /** @internal */
  deliver(data: Uint8Array, endStream: boolean): void {
    const body = this.body
    body.deliver(data)
    if (endStream) body.finish()
  }

  /** @internal */
  finish(trailers?: IncomingHeaders): void {
    if (this.#body !== undefined) this.#body.finish(trailers)
    else {
      this.#ended = true
      this.#trailers = trailers
    }
  }

  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController()
      if (this.resetError !== undefined) this.#abort.abort(this.resetError)
    }
    return this.#abort.signal
  }

  /** @internal */
  fail(error: StreamError): void {
    this.resetError = error
    this.#body?.fail(error)
    this.#abort?.abort(error)
  }

  /** @internal the stream closed: a body nobody finished ends here */
  closed(): void {
    if (this.#body !== undefined) {
      if (!this.#body.readableEnded) this.#body.push(null)
    } else {
      this.#ended = true
    }
  }

  get headers(): IncomingHeaders {
    this.#headers ??= headersToObject(this.fields, true)
    return this.#headers
  }
}

/**
 * Handles one request. It runs (and holds one of SETTINGS_MAX_CONCURRENT_STREAMS slots) until its response
 * is finished or destroyed and, if it returns a promise, until that settles.
 */
export type RequestHandler = (request: ServerRequest, response: ServerResponse) => void | Promise<void>

/** The response side of a stream: headers, a writable body, trailers, or a reset. */
export class ServerResponse extends OutgoingBody {
  #status: number | undefined
  #headersSent = false
  #reset = false
  /** @internal The session's hook for when this response is done with (destroyed: ended or failed). */
  onDestroyed: (() => void) | undefined

  constructor(
    private readonly owner: ServerSession,
    streamId: number,
  ) {
    super(owner, streamId, () => {
      if (!this.#headersSent) this.respond(this.#status ?? 200)
    })
  }

  get headersSent(): boolean {
    return this.#headersSent
  }

  /** The status sent (or to be sent implicitly by the first write). */
  get statusCode(): number {
    return this.#status ?? 200
  }

  /**
   * Sends the response header section. `endStream` sends it with END_STREAM (no body); otherwise write
   * the body and end(). A 1xx status sends an informational response and may be followed by another.
   */
  respond(status: number, headers: OutgoingHeaders = {}, options: { endStream?: boolean } = {}): void {
    // The peer may reset a stream at any moment: answering one it reset is not the handler's mistake.
    if (this.destroyed) return
    if (this.#headersSent) throw new Error('response headers already sent')
    const fields = toFields(headers, [':status', String(status)])
    const endStream = options.endStream === true
    this.owner.connection.sendHeaders(this.streamId, fields, { endStream })
    if (status >= 200) {
      this.#headersSent = true
      this.#status = status
    }
    if (endStream) this.endedWithHeaders()
    this.owner.flush()
  }

  /**
   * Server push (RFC 9113 §8.4): promises the response to a GET (or HEAD) of `headers[':path']` and
   * returns the response object of the promised stream: `respond()` and write to it like this one.
   * :method defaults to GET, :scheme and :authority to this request's. Call it before the part of this
   * response that refers to the pushed resource. Throws a UsageError when the client disabled push (see
   * `session.pushAllowed`) or the request cannot be pushed (not GET/HEAD, or with content).
   */
  push(headers: OutgoingHeaders): ServerResponse {
    return this.owner.push(this.streamId, headers)
  }

  /**
   * Sets this response's priority in the connection's write scheduler (`connection.prioritize`), e.g. an
   * application default for a request that carried no `priority` header. A signal of a scheme the
   * connection does not schedule by is ignored (an RFC 9218 urgency under the RFC 7540 tree), and a later
   * PRIORITY_UPDATE or PRIORITY from the client replaces it. Nothing happens once the stream is over.
   */
  prioritize(priority: PrioritySignal): void {
    const state = this.owner.closed ? 'closed' : this.owner.connection.streamState(this.streamId)
    // A closed stream would only leave a stale entry in the scheduler's memory of idle streams.
    if (state === 'closed' || state === 'idle') return
    this.owner.connection.prioritize(this.streamId, priority)
  }

  /** Resets the stream (RST_STREAM with `code`, default CANCEL). */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.#reset) return
    this.#reset = true
    this.owner.resetStream(this.streamId, code)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Called once, when the Writable is destroyed (after it finished, or on a failure), just before its
    // 'close': a direct call costs less than a 'close' listener per request.
    const hook = this.onDestroyed
    this.onDestroyed = undefined
    hook?.()
    callback(error)
  }
}

class ServerStreamHandle {
  constructor(
    readonly request: Request,
    readonly response: ServerResponse,
  ) {}

  onHeaders(event: HeadersReceived): void {
    if (event.kind === 'trailers') this.request.finish(headersToObject(event.fields))
  }

  onData(data: Uint8Array, endStream: boolean): void {
    this.request.deliver(data, endStream)
  }

  onReset(error: StreamError): void {
    this.request.fail(error)
    this.response.fail(error)
  }

  onDrained(): void {
    this.response.drained()
  }

  onClosed(): void {
    this.request.closed()
  }
}

/** A pushed stream: only a response, which the client may reset. */
class PushStreamHandle {
  constructor(readonly response: ServerResponse) {}
  onHeaders(): void {}
  onData(): void {}
  onReset(error: StreamError): void {
    this.response.fail(error)
  }
  onDrained(): void {
    this.response.drained()
  }
  onClosed(): void {}
}

export class ServerSession extends NodeSession {
  constructor(
    socket: net.Socket,
    options: ServerOptions,
    private readonly handler: RequestHandler,
  ) {
    super(socket, { ...options.connection, role: 'server' }, options)
  }

  /** Whether the client allows server push (its SETTINGS_ENABLE_PUSH). */
  get pushAllowed(): boolean {
    return this.connection.remoteSettings.enablePush
  }

  /** @internal See ServerResponse.push. */
  push(associatedId: number, headers: OutgoingHeaders): ServerResponse {
    const handle = this.streams.get(associatedId)
    const request = handle instanceof ServerStreamHandle ? handle.request : undefined
    const given = toFields(headers)
    const has = (name: string) => given.some(([n]) => n === name)
    const defaults: HeaderField[] = []
    if (!has(':method')) defaults.push([':method', 'GET'])
    if (!has(':scheme') && request?.scheme !== undefined) defaults.push([':scheme', request.scheme])
    if (!has(':authority') && request?.authority !== undefined)
      defaults.push([':authority', request.authority])
    const id = this.connection.push(associatedId, [...defaults, ...given])
    const response = new ServerResponse(this, id)
    this.streams.set(id, new PushStreamHandle(response))
    this.flush()
    return response
  }

  /** Handlers running now: streams still open, and reset streams whose handler has not finished. */
  #running = 0
  /** Requests refused in a row because reset streams' handlers still held every slot. */
  #refusedBusy = 0

  /** How many handlers are running on this connection (counted against SETTINGS_MAX_CONCURRENT_STREAMS). */
  get runningHandlers(): number {
    return this.#running
  }

  protected onNewStream(event: HeadersReceived): void {
    if (event.kind !== 'request' || event.request === undefined) return
    const limit = this.connection.localSettings.maxConcurrentStreams
    if (this.#running >= limit) {
      // Rapid Reset (CVE-2023-44487): the engine frees a stream's slot on RST_STREAM, but its handler may
      // still be at work. New requests wait for a running handler to finish: refused (the client may
      // retry, §8.7), and a client that keeps opening streams regardless is told to calm down.
      if (++this.#refusedBusy > limit) {
        this.connection.goAway(ErrorCode.ENHANCE_YOUR_CALM, 'handlers-busy')
      } else {
        this.connection.resetStream(event.streamId, ErrorCode.REFUSED_STREAM)
      }
      this.flush()
      return
    }
    this.#running++
    const request = new Request(event, this)
    const response = new ServerResponse(this, event.streamId)
    const handle = new ServerStreamHandle(request, response)
    this.streams.set(event.streamId, handle)
    let pending = 2
    const done = () => {
      if (--pending > 0) return
      this.#running--
      this.#refusedBusy = 0
    }
    response.onDestroyed = done
    try {
      const result = this.handler(request, response)
      if (result !== undefined && typeof result.then === 'function') {
        result.then(done, (error: unknown) => {
          done()
          this.#handlerFailed(response, error)
        })
      } else {
        done()
      }
    } catch (error) {
      done()
      this.#handlerFailed(response, error)
    }
  }

  /** A throwing handler must not take the connection down: this request gets a 500 or a reset. */
  #handlerFailed(response: ServerResponse, error: unknown): void {
    if (!response.destroyed && !response.writableEnded && !this.closed) {
      try {
        if (!response.headersSent)
          response.respond(500, { 'content-type': 'text/plain' }, { endStream: true })
        else response.reset(ErrorCode.INTERNAL_ERROR)
      } catch {
        // The stream closed meanwhile (a reset): there is nobody left to answer.
      }
    }
    this.emit('handlerError', error)
  }
}

/** A listening HTTP/2 server. 'session' is emitted for each connection, 'error' for listener errors. */
export class Http2Server extends EventEmitter {
  readonly sessions = new Set<ServerSession>()
  readonly #server: net.Server
  readonly #options: ServerOptions
  readonly #handler: RequestHandler

  constructor(options: ServerOptions, handler: RequestHandler) {
    super()
    this.#options = options
    this.#handler = handler
    const onSocket = (socket: net.Socket) => {
      this.accept(socket)
    }
    if (options.tls !== undefined) {
      const server = tls.createServer({ ...options.tls, ALPNProtocols: ['h2'] })
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        // §3.2: only "h2" is ours; a client that negotiated nothing gets no HTTP/2.
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy()
          return
        }
        onSocket(socket)
      })
      server.on('tlsClientError', (error) => this.emit('clientError', error))
      this.#server = server
    } else {
      this.#server = net.createServer(onSocket)
    }
    this.#server.on('error', (error) => this.emit('error', error))
  }

  /**
   * Serves HTTP/2 on a socket accepted elsewhere: a TLS socket that negotiated "h2", or a cleartext one
   * whose first bytes were the connection preface (bytes already read must be `unshift`ed back first).
   */
  accept(socket: net.Socket): ServerSession {
    const session = new ServerSession(socket, this.#options, this.#handler)
    this.sessions.add(session)
    session.on('close', () => this.sessions.delete(session))
    this.emit('session', session)
    return session
  }

  /** Starts listening; resolves with the port (0 asks the OS for one). */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject)
        resolve((this.#server.address() as net.AddressInfo).port)
      })
    })
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port
  }

  /** Stops accepting; sends GOAWAY to every session and resolves when they have all closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve())
      for (const session of this.sessions) session.close()
      if (this.sessions.size === 0) this.#server.close()
    })
  }

  /** Closes every session at once (GOAWAY, then the sockets). */
  destroy(): Promise<void> {
    for (const session of this.sessions) session.destroy()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}

export function createServer(options: ServerOptions, handler: RequestHandler): Http2Server
export function createServer(handler: RequestHandler): Http2Server
export function createServer(a: ServerOptions | RequestHandler, b?: RequestHandler): Http2Server {
  return typeof a === 'function' ? new Http2Server({}, a) : new Http2Server(a, b!)
}
