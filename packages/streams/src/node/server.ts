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

  /** @internal */
  fail(error: StreamError): void {
    this.resetError = error
    this.#body?.fail(error)
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

export type RequestHandler = (request: ServerRequest, response: ServerResponse) => void

/** The response side of a stream: headers, a writable body, trailers, or a reset. */
export class ServerResponse extends OutgoingBody {
  #status: number | undefined
  #headersSent = false
  #reset = false

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
    if (this.#headersSent) throw new Error('response headers already sent')
    const fields: HeaderField[] = [[':status', String(status)], ...toFields(headers)]
    const endStream = options.endStream === true
    this.owner.connection.sendHeaders(this.streamId, fields, { endStream })
    if (status >= 200) {
      this.#headersSent = true
      this.#status = status
    }
    if (endStream) this.endedWithHeaders()
    this.owner.flush()
  }

  /** Resets the stream (RST_STREAM with `code`, default CANCEL). */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.#reset) return
    this.#reset = true
    this.owner.connection.resetStream(this.streamId, code)
    this.owner.flush()
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

export class ServerSession extends NodeSession {
  constructor(
    socket: net.Socket,
    options: ServerOptions,
    private readonly handler: RequestHandler,
  ) {
    super(socket, { ...options.connection, role: 'server' }, options)
  }

  protected onNewStream(event: HeadersReceived): void {
    if (event.kind !== 'request' || event.request === undefined) return
    const request = new Request(event, this)
    const response = new ServerResponse(this, event.streamId)
    const handle = new ServerStreamHandle(request, response)
    this.streams.set(event.streamId, handle)
    try {
      this.handler(request, response)
    } catch (error) {
      // A throwing handler must not take the connection down: this request gets a 500 or a reset.
      if (!response.headersSent) response.respond(500, { 'content-type': 'text/plain' }, { endStream: true })
      else response.reset(ErrorCode.INTERNAL_ERROR)
      this.emit('handlerError', error)
    }
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
