/**
 * The HTTP/2 implementations under test ("subjects"), behind two small interfaces so the interop tests run
 * the same cases against each of them:
 *
 *   SubjectServer   a server factory: real clients (curl, nghttp) talk to it
 *   SubjectClient   a client factory: it talks to real servers (nghttpd, node:http2)
 *
 * `node:http2` is the control subject: when a case fails for it, the harness is wrong, not the stack. To test
 * another implementation, write one adapter per interface and add it to `serverSubjects` / `clientSubjects`.
 */
import { once } from 'node:events'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { CertPair } from './peers.js'
import { h2tsClient, h2tsServer } from './subject-h2ts.js'

// ---------------------------------------------------------------------------------------------------------
// Server side

/** Header fields without pseudo-headers; lowercase names; repeated fields joined with ", ". */
export type HeaderRecord = Record<string, string>

export interface SubjectRequest {
  method: string
  /** `:path`, including the query. */
  path: string
  scheme: string
  authority: string
  headers: HeaderRecord
  /** The request body. The handler owns each chunk: an adapter must not reuse a chunk's memory. */
  body: AsyncIterable<Uint8Array>
}

export interface SubjectResponse {
  /** Sends the response HEADERS. Call once, before `write`/`end`. */
  respond(status: number, headers?: HeaderRecord): void
  /** Queues DATA; resolves when the caller may write more (backpressure); rejects if the stream is gone. */
  write(chunk: Uint8Array): Promise<void>
  /** Ends the response (END_STREAM on the last DATA, or on trailers when given). */
  end(trailers?: HeaderRecord): Promise<void>
}

/** Application code run for each request stream. A throw resets the stream (INTERNAL_ERROR). */
export type SubjectHandler = (req: SubjectRequest, res: SubjectResponse) => void | Promise<void>

export interface SubjectServerOptions {
  /** Serve TLS with ALPN `h2` with this certificate; cleartext h2 (prior knowledge) without it. */
  tls?: CertPair
  /** SETTINGS_MAX_CONCURRENT_STREAMS to announce (default: the implementation's own). */
  maxConcurrentStreams?: number
}

export interface SubjectServerHandle {
  /** Listening on 127.0.0.1:port (port chosen by the OS). */
  port: number
  /** Stops listening, ends every connection and resolves when all is closed. */
  close(): Promise<void>
}

export type SubjectServer = (
  opts: SubjectServerOptions,
  handler: SubjectHandler,
) => Promise<SubjectServerHandle>

function splitHeaders(h: http2.IncomingHttpHeaders): HeaderRecord {
  const out: HeaderRecord = {}
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue
    out[k] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}

/** Resolves on 'drain'; rejects when the stream closes or fails first. */
function drained(s: http2.Http2Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      s.off('drain', onDrain)
      s.off('close', onClose)
      s.off('error', onError)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = () => done()
    const onClose = () => done(new Error('stream closed while writing'))
    const onError = (e: Error) => done(e)
    s.on('drain', onDrain)
    s.on('close', onClose)
    s.on('error', onError)
  })
}

export interface NodeHttp2ServerHandle extends SubjectServerHandle {
  /** Connections accepted so far. */
  sessions(): number
  server: http2.Http2Server | http2.Http2SecureServer
}

/** A node:http2 server on 127.0.0.1, port 0, running `handler` for each stream. */
export async function startNodeHttp2Server(
  opts: SubjectServerOptions,
  handler: SubjectHandler,
): Promise<NodeHttp2ServerHandle> {
  const settings: http2.Settings = {}
  if (opts.maxConcurrentStreams !== undefined) settings.maxConcurrentStreams = opts.maxConcurrentStreams
  const server = opts.tls
    ? http2.createSecureServer({ cert: opts.tls.cert, key: opts.tls.key, settings, allowHTTP1: false })
    : http2.createServer({ settings })
  const open = new Set<http2.ServerHttp2Session>()
  let sessionCount = 0
  server.on('session', (s) => {
    sessionCount++
    open.add(s)
    s.on('error', () => {})
    s.once('close', () => open.delete(s))
  })
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    let trailers: HeaderRecord | undefined
    stream.on('wantTrailers', () => stream.sendTrailers(trailers ?? {}))
    const req: SubjectRequest = {
      method: String(headers[':method'] ?? ''),
      path: String(headers[':path'] ?? ''),
      scheme: String(headers[':scheme'] ?? ''),
      authority: String(headers[':authority'] ?? ''),
      headers: splitHeaders(headers),
      // A for-await loop over the Http2Stream itself would destroy it (both sides) when the loop ends,
      // which node:http2 signals with RST_STREAM(NO_ERROR): iterate without destroying.
      body: { [Symbol.asyncIterator]: () => stream.iterator({ destroyOnReturn: false }) },
    }
    const res: SubjectResponse = {
      respond(status, h = {}) {
        // node:http2 ends a stream whose 'wantTrailers' gets no trailers with RST_STREAM(NO_ERROR) instead of
        // END_STREAM, which a strict client reads as a response cut short (RFC 9113 §8.1 allows that reset
        // only after END_STREAM). So wait for trailers only when the app will send some: it says so up front
        // with the request header x-want-trailers (see interop-app.ts).
        stream.respond({ ':status': status, ...h }, { waitForTrailers: headers['x-want-trailers'] === '1' })
      },
      async write(chunk) {
        if (stream.destroyed || stream.writableEnded) throw new Error('stream is closed')
        if (!stream.write(chunk)) await drained(stream)
      },
      async end(t) {
        trailers = t
        if (stream.destroyed) throw new Error('stream is closed')
        const finished = once(stream, 'finish')
        stream.end()
        await finished
      },
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((e: unknown) => {
        console.error('[h2ts] subject handler failed:', e)
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
      })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => sessionCount,
    server,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of open) s.destroy()
      await closed
    },
  }
}

/** The control server subject: node:http2. */
export const nodeHttp2Server: SubjectServer = startNodeHttp2Server

// ---------------------------------------------------------------------------------------------------------
// Client side

export interface SubjectClientOptions {
  /** `http://127.0.0.1:port` (h2c, prior knowledge) or `https://127.0.0.1:port` (TLS, ALPN h2). */
  origin: string
  /** Trust this certificate (PEM) for TLS; the peer's certificate is always verified. */
  ca?: string
}

export interface SubjectClientRequest {
  method: string
  /** `:path`, including the query. */
  path: string
  headers?: HeaderRecord
  /** The request body; none (END_STREAM on HEADERS) when absent. */
  body?: Uint8Array | AsyncIterable<Uint8Array>
}

export interface SubjectClientResponse {
  status: number
  headers: HeaderRecord
  /** The response body; must be consumed (or the connection's flow-control window stays taken). */
  body: AsyncIterable<Uint8Array>
  /** Trailers, or {} when there were none; settles once the body has been read to its end. */
  trailers: Promise<HeaderRecord>
}

export interface SubjectClientConnection {
  /**
   * Opens a stream on this one connection and resolves with the response head. Requests beyond the peer's
   * SETTINGS_MAX_CONCURRENT_STREAMS wait in a queue until a stream closes. The request body is sent with
   * backpressure while the response is awaited.
   */
  request(req: SubjectClientRequest): Promise<SubjectClientResponse>
  /** Graceful close (GOAWAY after open streams finish); resolves when the connection is gone. */
  close(): Promise<void>
}

export type SubjectClient = (opts: SubjectClientOptions) => Promise<SubjectClientConnection>

async function pump(stream: http2.ClientHttp2Stream, body: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const chunk of body) {
      if (stream.destroyed) return
      if (!stream.write(chunk)) await drained(stream)
    }
    stream.end()
  } catch (e) {
    stream.destroy(e instanceof Error ? e : new Error(String(e)))
  }
}

/** The control client subject: node:http2. */
export const nodeHttp2Client: SubjectClient = async (opts) => {
  // node:http2 counts request bodies queued for streams that wait for a concurrency slot against
  // maxSessionMemory (default 10 MB) and answers ENHANCE_YOUR_CALM past it: 1,000 queued uploads exceed it.
  const connectOpts: http2.SecureClientSessionOptions = { maxSessionMemory: 64 }
  if (opts.ca !== undefined) connectOpts.ca = opts.ca
  const session = http2.connect(opts.origin, connectOpts)
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => {
      session.off('error', reject)
      resolve()
    })
    session.once('error', reject)
  })
  session.on('error', () => {})
  return {
    request(r) {
      const stream = session.request(
        { ':method': r.method, ':path': r.path, ...(r.headers ?? {}) },
        { endStream: r.body === undefined },
      )
      const trailers = new Promise<HeaderRecord>((resolve) => {
        stream.once('trailers', (t) => resolve(splitHeaders(t)))
        stream.once('close', () => resolve({}))
      })
      if (r.body instanceof Uint8Array) stream.end(r.body)
      else if (r.body !== undefined) void pump(stream, r.body)
      return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e)
        const onClose = () => reject(new Error(`stream closed before a response (code ${stream.rstCode})`))
        stream.once('error', onError)
        stream.once('close', onClose)
        stream.once('response', (h) => {
          stream.off('close', onClose)
          stream.off('error', onError)
          stream.on('error', () => {})
          resolve({ status: Number(h[':status']), headers: splitHeaders(h), body: stream, trailers })
        })
      })
    },
    async close() {
      if (session.closed || session.destroyed) return
      const closed = once(session, 'close')
      const t = setTimeout(() => session.destroy(), 5000)
      session.close()
      await closed
      clearTimeout(t)
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// The subjects the interop tests run against: node:http2 (the control) and h2ts.

export const serverSubjects: Array<{ name: string; server: SubjectServer }> = [
  { name: 'node:http2', server: nodeHttp2Server },
  { name: 'h2ts', server: h2tsServer },
]

export const clientSubjects: Array<{ name: string; client: SubjectClient }> = [
  { name: 'node:http2', client: nodeHttp2Client },
  { name: 'h2ts', client: h2tsClient },
]
