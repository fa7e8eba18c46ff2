/**
 * One client request and its response, whichever protocol the client spoke: HTTP/2 (our server) or
 * HTTP/1.1 (`node:http`). The proxy sees only this.
 */
import type * as http from 'node:http'
import type { Readable, Writable } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { ErrorCode } from '@h2ts/streams'
import type { ServerRequest, ServerResponse } from '@h2ts/streams/node'
import type { Field } from './forwarding.js'

export interface Exchange {
  readonly protocol: 'h2' | 'http/1.1'
  /** The scheme the client used to reach us. */
  readonly scheme: 'http' | 'https'
  readonly method: string
  readonly path: string
  /** `:authority`, or `Host` for HTTP/1.1. */
  readonly authority: string | undefined
  /** Regular header fields, lowercase names, in order. */
  readonly fields: readonly Field[]
  readonly clientAddress: string | undefined
  /** The request has a body to forward. */
  readonly hasBody: boolean
  readonly body: Readable
  /** Response headers went out. */
  readonly started: boolean
  /** Sends the response header section (no body when `endStream`). */
  respond(status: number, fields: readonly Field[], endStream?: boolean): void
  /** The response body: write with backpressure, then `finish`. */
  readonly out: Writable
  /**
   * Ends the response, with trailers when there are any; `last`, the body's last bytes, go out with the end
   * (HTTP/2: in the DATA frame that carries END_STREAM, not in one of their own before an empty one).
   */
  finish(trailers?: readonly Field[], last?: Uint8Array): void
  /** Ends the response abnormally: RST_STREAM (HTTP/2), or a closed connection (HTTP/1.1). */
  abort(code?: number): void
  /** Called once if the client goes away (reset, disconnect) before the response finished. */
  onClientGone(callback: (code: number | undefined) => void): void
  /**
   * A pushed stream: sets its RFC 9218 priority on the client connection. (A request's stream gets its
   * route's default from the engine when it opens: see priority.ts.)
   */
  prioritize?(urgency: number, incremental: boolean): void
  /**
   * HTTP/2, when the client allows push: promises a GET of `path` (RFC 9113 §8.4) on this stream and
   * returns the pushed stream's response; undefined when the client does not take pushes (see push.ts).
   */
  push?(path: string): ServerResponse | undefined
  /** This exchange is a server push: the gateway made the request on the client's behalf. */
  readonly pushed?: boolean
}

/** `[name, value, name, value, …]`, the list form node:http takes (never-indexed flags do not apply). */
function flat(fields: readonly Field[]): string[] {
  const out: string[] = []
  for (const [name, value] of fields) out.push(name, value)
  return out
}

const ignore = () => {}

/**
 * The response side of an exchange on our HTTP/2 server, on a request's stream or a pushed one (push.ts).
 * Classes, not object literals with accessors: one is made per request, and V8 keeps a class's instances
 * on one fast shape.
 */
export abstract class H2ResponseSide {
  readonly protocol = 'h2'
  readonly out: ServerResponse
  /** The response ended (or was reset by us): a close after this is not the client going away. */
  protected finished = false

  constructor(protected readonly response: ServerResponse) {
    this.out = response
  }

  get started(): boolean {
    return this.response.headersSent
  }

  respond(status: number, fields: readonly Field[], endStream = false): void {
    this.response.respond(status, fields, { endStream })
    if (endStream) this.finished = true
  }

  finish(trailers?: readonly Field[], last?: Uint8Array): void {
    this.finished = true
    if (trailers !== undefined && trailers.length > 0) this.response.setTrailers(trailers)
    this.response.end(last)
  }

  abort(code: number = ErrorCode.INTERNAL_ERROR): void {
    this.finished = true
    this.response.reset(code)
  }

  onClientGone(callback: (code: number | undefined) => void): void {
    // The response Writable is destroyed when the stream is reset or the connection dies.
    this.response.once('close', () => {
      if (!this.finished) callback(this.resetCode())
    })
  }

  /** The code of the client's RST_STREAM, when it reset the stream. */
  protected abstract resetCode(): number | undefined
}

/** An exchange on our HTTP/2 server: a client's request. */
class H2Exchange extends H2ResponseSide implements Exchange {
  readonly method: string
  readonly path: string
  readonly authority: string | undefined
  readonly fields: Field[] = []
  readonly clientAddress: string | undefined
  readonly hasBody: boolean

  constructor(
    private readonly request: ServerRequest,
    response: ServerResponse,
    readonly scheme: 'http' | 'https',
  ) {
    super(response)
    // The proxy learns of resets through onClientGone. A write the engine refuses (the stream closed
    // meanwhile) fails the Writable with an 'error' event, which must not go unhandled.
    response.on('error', ignore)
    this.method = request.method
    // CONNECT has no :path; the proxy answers it with an error.
    this.path = request.path ?? ''
    this.authority = request.authority
    this.hasBody = request.hasBody
    this.clientAddress = request.session.socket.remoteAddress
    for (const field of request.fields) if (field[0].charCodeAt(0) !== 0x3a) this.fields.push(field)
  }

  get body(): Readable {
    // A reset destroys the body without an 'error' event when nobody listens for one (the engine's
    // adapter decides): nothing to guard here.
    return this.request.body
  }

  protected resetCode(): number | undefined {
    return this.request.resetError?.code
  }

  push(path: string): ServerResponse | undefined {
    return this.request.session.pushAllowed ? this.response.push({ ':path': path }) : undefined
  }
}

/** An exchange on our HTTP/2 server. */
export function h2Exchange(
  request: ServerRequest,
  response: ServerResponse,
  scheme: 'http' | 'https',
): Exchange {
  return new H2Exchange(request, response, scheme)
}

/** An exchange on `node:http` (HTTP/1.1). */
export function http1Exchange(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  scheme: 'http' | 'https',
): Exchange {
  let finished = false
  response.on('error', ignore)
  request.on('error', ignore)
  const fields: Field[] = []
  const raw = request.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) fields.push([raw[i]!.toLowerCase(), raw[i + 1]!])
  const hasBody =
    request.headers['transfer-encoding'] !== undefined ||
    (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0')
  return {
    protocol: 'http/1.1',
    scheme,
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    authority: request.headers.host,
    fields,
    clientAddress: request.socket.remoteAddress,
    hasBody,
    body: request,
    get started() {
      return response.headersSent
    },
    respond(status, out, endStream = false) {
      response.writeHead(status, flat(out))
      if (endStream) {
        finished = true
        response.end()
      }
    },
    out: response,
    finish(trailers, last) {
      finished = true
      // Trailers need chunked framing; with a content-length they cannot be sent and are dropped.
      if (trailers !== undefined && trailers.length > 0 && !response.hasHeader('content-length')) {
        response.addTrailers(trailers as Array<[string, string]>)
      }
      response.end(last)
    },
    abort() {
      finished = true
      // HTTP/1.1 has no way to fail one response but to close the connection mid-body.
      response.destroy()
      request.socket.destroy()
    },
    onClientGone(callback) {
      response.once('close', () => {
        if (!finished && !response.writableFinished) callback(undefined)
      })
    },
  }
}

/** Whether an HTTP/1.1 socket is TLS. */
export function isTls(socket: unknown): boolean {
  return (socket as TLSSocket).encrypted === true
}
