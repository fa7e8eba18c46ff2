/**
 * The proxy: matches a route, checks the client's key, and carries the exchange to the upstream as one
 * HTTP/2 stream on a pooled connection, streaming both bodies with backpressure end to end.
 */
import { EventEmitter } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { ErrorCode, errorCodeName, isStreamError, isUsageError, type Rfc9218Priority } from '@h2ts/streams'
import type { ClientRequest, ClientResponse } from '@h2ts/streams/node'
import type { GatewayConfig, RouteConfig, UpstreamConfig } from './config.js'
import type { Exchange } from './exchange.js'
import {
  bearerToken,
  clientResponseFields,
  type Field,
  requestIdOf,
  upstreamRequestFields,
} from './forwarding.js'
import { type Lease, PoolError, UpstreamPool } from './pool.js'
import { forwardPriority } from './priority.js'
import { pushPreloads } from './push.js'

/** What happened to one stream: one access-log line. */
export interface StreamRecord {
  time: string
  requestId: string
  protocol: 'h2' | 'http/1.1'
  method: string
  path: string
  route: string | undefined
  upstream: string | undefined
  /** The pooled upstream connection that carried it. */
  upstreamConnection: number | undefined
  status: number | undefined
  /** Body bytes from the client to the upstream, and back. */
  bytesIn: number
  bytesOut: number
  /** Milliseconds: waiting for an upstream stream slot; until the upstream's response headers; in all. */
  queuedMs: number
  ttfbMs: number | undefined
  totalMs: number
  /**
   * Milliseconds the response waited for the client to take more: its flow-control window (HTTP/2) or
   * its socket was full, so the upstream stream was paused.
   */
  stalledMs: number
  outcome:
    | 'ok'
    | 'client-cancelled'
    | 'upstream-reset'
    | 'upstream-unavailable'
    | 'timeout'
    | 'rejected'
    | 'error'
  /** The RST_STREAM code (RFC name) and who sent it, when the stream was reset. */
  resetCode: string | undefined
  resetBy: 'client' | 'upstream' | 'gateway' | undefined
  /** The request was refused by one upstream connection and carried again on another (§8.7). */
  retried: boolean
  /** A server push the gateway made for a preload link (only present then). */
  pushed?: true
}

interface CompiledRoute {
  config: RouteConfig
  upstreamName: string
  upstream: UpstreamConfig
  url: URL
  keys: Set<string> | undefined
  authorization: string | undefined
}

/** What #proxy and #streamResponse share about the client side of one exchange. */
interface ClientSide {
  /** The client reset its stream or disconnected, with this RST_STREAM code (HTTP/2). */
  gone: boolean
  code: number | undefined
  /** The upstream request in flight: reset with CANCEL when the client goes. */
  request: ClientRequest | undefined
  /** What else to do when the client goes (set once the response streams). */
  onGone: (() => void) | undefined
}

/** OpenAI's error body shape, so SDKs show our errors like theirs. */
export function errorBody(message: string, type: string, code: string): string {
  return JSON.stringify({ error: { message, type, param: null, code } })
}

/**
 * Keeps a request body flowing into the current upstream request, and keeps a copy of its first
 * `limit` bytes so that a refused request can be sent again elsewhere.
 */
class RequestBody {
  #kept: Buffer[] | undefined = []
  #keptBytes = 0
  #ended = false
  #target: Writable | undefined
  bytes = 0
  readonly #onDrain = () => this.source.resume()

  constructor(
    readonly source: Readable,
    private readonly limit: number,
  ) {
    source.pause()
    source.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length
      if (this.#kept !== undefined) {
        this.#keptBytes += chunk.length
        if (this.#keptBytes <= this.limit) this.#kept.push(chunk)
        else this.#kept = undefined
      }
      if (this.#target !== undefined && !this.#target.write(chunk)) source.pause()
    })
    source.on('end', () => {
      this.#ended = true
      this.#target?.end()
    })
  }

  /** The whole body seen so far is still kept: it can be sent again. */
  get replayable(): boolean {
    return this.#kept !== undefined
  }

  attach(target: Writable): void {
    this.#target?.off('drain', this.#onDrain)
    this.#target = target
    target.on('drain', this.#onDrain)
    // An upstream request that fails must not throw into the process; its error is handled elsewhere.
    target.on('error', () => {})
    for (const chunk of this.#kept ?? []) target.write(chunk)
    if (this.#ended) target.end()
    else this.source.resume()
  }

  detach(): void {
    this.#target?.off('drain', this.#onDrain)
    this.#target = undefined
    this.source.pause()
  }
}

/**
 * Events: 'exchange' when a client stream starts; 'upstreamStream' (upstream name) for each stream opened
 * upstream (a retry opens a second); 'stream' (StreamRecord) once per exchange, when it is over.
 */
export class Gateway extends EventEmitter {
  readonly pools = new Map<string, UpstreamPool>()
  /** Client exchanges in progress. */
  activeExchanges = 0
  #routes: CompiledRoute[]
  #config: GatewayConfig

  constructor(config: GatewayConfig) {
    super()
    this.#config = config
    for (const [name, upstream] of Object.entries(config.upstreams)) {
      this.pools.set(name, new UpstreamPool(upstream.url, upstream))
    }
    this.#routes = compileRoutes(config)
  }

  get config(): GatewayConfig {
    return this.#config
  }

  /**
   * Takes new routes, upstreams and keys (SIGHUP). Streams in flight finish where they are. An upstream
   * whose settings did not change keeps its pool and connections; a changed one gets a new pool, and
   * the old one hands its queued requests over and closes gracefully. Listener and HTTP/2 settings need a
   * restart: they are not applied here. Throws (and changes nothing) if a route cannot be compiled.
   */
  reload(config: GatewayConfig): { added: string[]; replaced: string[]; removed: string[]; kept: string[] } {
    const routes = compileRoutes(config)
    const report = {
      added: [] as string[],
      replaced: [] as string[],
      removed: [] as string[],
      kept: [] as string[],
    }
    const old = new Map(this.pools)
    this.pools.clear()
    for (const [name, upstream] of Object.entries(config.upstreams)) {
      const previous = old.get(name)
      old.delete(name)
      if (previous !== undefined && sameSettings(this.#config.upstreams[name], upstream)) {
        this.pools.set(name, previous)
        report.kept.push(name)
        continue
      }
      const pool = new UpstreamPool(upstream.url, upstream)
      this.pools.set(name, pool)
      this.emit('pool', name, pool)
      if (previous !== undefined) {
        previous.retire(pool)
        report.replaced.push(name)
      } else {
        report.added.push(name)
      }
    }
    for (const [name, pool] of old) {
      pool.close()
      report.removed.push(name)
    }
    this.#routes = routes
    this.#config = config
    return report
  }

  /** Closes the upstream pools (streams in flight finish). */
  close(): void {
    for (const pool of this.pools.values()) pool.close()
  }

  #route(path: string, authority: string | undefined): CompiledRoute | undefined {
    // The host is worked out only if some route names one (most configurations route by path alone).
    let host: string | undefined
    for (const route of this.#routes) {
      if (route.config.host !== undefined) {
        host ??= authority?.replace(/:\d+$/, '').toLowerCase() ?? ''
        if (route.config.host.toLowerCase() !== host) continue
      }
      if (path.startsWith(route.config.prefix)) return route
    }
    return undefined
  }

  /** Serves one exchange; never throws (every failure becomes a response, a reset, or a log line). */
  handle(exchange: Exchange): void {
    this.#proxy(exchange).catch((error: unknown) => {
      // A bug of ours: answer if we still can, and keep the process alive.
      if (!exchange.started) {
        exchange.respond(500, [['content-type', 'application/json']], false)
        exchange.finish()
      } else {
        exchange.abort(ErrorCode.INTERNAL_ERROR)
      }
      this.emit('internalError', error)
    })
  }

  async #proxy(exchange: Exchange): Promise<void> {
    const started = performance.now()
    const requestId = requestIdOf(exchange.fields)
    const record: StreamRecord = {
      time: isoNow(),
      requestId,
      protocol: exchange.protocol,
      method: exchange.method,
      path: exchange.path,
      route: undefined,
      upstream: undefined,
      upstreamConnection: undefined,
      status: undefined,
      bytesIn: 0,
      bytesOut: 0,
      queuedMs: 0,
      ttfbMs: undefined,
      totalMs: 0,
      stalledMs: 0,
      outcome: 'ok',
      resetCode: undefined,
      resetBy: undefined,
      retried: false,
      ...(exchange.pushed === true ? { pushed: true as const } : {}),
    }
    this.activeExchanges++
    this.emit('exchange')
    const done = () => {
      record.totalMs = round(performance.now() - started)
      this.activeExchanges--
      this.emit('stream', record)
    }
    const fail = (
      status: number,
      message: string,
      type: string,
      code: string,
      outcome: StreamRecord['outcome'],
    ) => {
      record.status = status
      record.outcome = outcome
      const body = errorBody(message, type, code)
      exchange.respond(status, [
        ['content-type', 'application/json'],
        ['content-length', String(Buffer.byteLength(body))],
        ['x-request-id', requestId],
      ])
      exchange.finish(undefined, Buffer.from(body))
      // A body nobody will read must not hold the client's flow-control window: let it drain away.
      if (exchange.hasBody) exchange.body.resume()
      done()
    }

    if (exchange.method === 'CONNECT' || exchange.path === '' || exchange.path[0] !== '/') {
      return fail(
        400,
        'the gateway does not tunnel CONNECT requests',
        'invalid_request_error',
        'bad_request',
        'rejected',
      )
    }
    const route = this.#route(exchange.path, exchange.authority)
    if (route === undefined) {
      return fail(
        404,
        `no route for ${exchange.path}`,
        'invalid_request_error',
        'route_not_found',
        'rejected',
      )
    }
    record.route = route.config.prefix
    record.upstream = route.upstreamName
    if (route.keys !== undefined) {
      const key = bearerToken(exchange.fields)
      if (key === undefined || !route.keys.has(key)) {
        return fail(
          401,
          key === undefined ? 'missing gateway API key (authorization: Bearer …)' : 'invalid gateway API key',
          'invalid_request_error',
          'invalid_api_key',
          'rejected',
        )
      }
    }

    const path =
      route.config.rewritePrefix === undefined
        ? exchange.path
        : route.config.rewritePrefix + exchange.path.slice(route.config.prefix.length)
    const fields = forwardPriority(
      exchange,
      route.config,
      upstreamRequestFields(exchange.fields, {
        method: exchange.method,
        path,
        scheme: route.url.protocol.slice(0, -1),
        authority: route.url.host,
        clientAddress: exchange.clientAddress,
        frontScheme: exchange.scheme,
        requestId,
        authorization: route.authorization,
        stripAuthorization: route.keys !== undefined,
      }),
    )
    const pool = this.pools.get(route.upstreamName)!
    const body = exchange.hasBody ? new RequestBody(exchange.body, route.upstream.retryBodyLimit) : undefined

    const client: ClientSide = { gone: false, code: undefined, request: undefined, onGone: undefined }
    exchange.onClientGone((code) => {
      client.gone = true
      client.code = code
      // Stop the upstream at once, so it stops generating (and billing): RST_STREAM CANCEL.
      client.request?.reset(ErrorCode.CANCEL)
      client.onGone?.()
    })

    let avoid: number | undefined
    for (let attempt = 0; ; attempt++) {
      // Most requests find a free slot: no promise to wait on, and no time spent queued to measure.
      let lease = pool.tryAcquire(avoid)
      // When the request went upstream, for the TTFB: its start, unless it waited or was sent again.
      let sentAt = attempt === 0 && lease !== undefined ? started : undefined
      try {
        if (lease === undefined) {
          const queuedAt = performance.now()
          lease = await pool.acquire(avoid)
          record.queuedMs += round(performance.now() - queuedAt)
        }
      } catch (error) {
        if (client.gone) return this.#clientCancelled(record, client.code, done)
        const e = error as PoolError
        return fail(
          e.status,
          e.message,
          'upstream_error',
          e.reason.replace(/-/g, '_'),
          'upstream-unavailable',
        )
      }
      record.upstreamConnection = lease.connectionId
      if (client.gone) {
        lease.release()
        return this.#clientCancelled(record, client.code, done)
      }

      let request: ClientRequest
      try {
        request = lease.session.request(fields, { endStream: body === undefined })
      } catch (error) {
        lease.release()
        // The connection began closing between the lease and the request: go to another one.
        if (isUsageError(error) && attempt === 0) {
          avoid = lease.connectionId
          record.retried = true
          continue
        }
        throw error
      }
      client.request = request
      this.emit('upstreamStream', route.upstreamName)
      body?.attach(request)
      sentAt ??= performance.now()

      let response: ClientResponse
      // No answer in time: CANCEL upstream, which settles request.response (then 504).
      let timedOut = false
      const limit = route.upstream.responseTimeout
      const timer =
        limit > 0
          ? setTimeout(() => {
              timedOut = true
              request.reset(ErrorCode.CANCEL)
            }, limit)
          : undefined
      try {
        response = await request.response
      } catch (error) {
        lease.release()
        body?.detach()
        if (client.gone) return this.#clientCancelled(record, client.code, done)
        if (timedOut) {
          record.resetBy = 'gateway'
          record.resetCode = 'CANCEL'
          return fail(
            504,
            `the upstream did not answer within ${route.upstream.responseTimeout} ms`,
            'upstream_error',
            'upstream_timeout',
            'timeout',
          )
        }
        // RFC 9113 §8.7: a refused stream (or one above a GOAWAY's last id) was not processed: safe to
        // send again, once, on another connection — if we still have the whole body.
        if (isStreamError(error) && error.retryable && attempt === 0 && (body?.replayable ?? true)) {
          avoid = lease.connectionId
          record.retried = true
          continue
        }
        if (isStreamError(error)) {
          record.resetCode = errorCodeName(error.code)
          record.resetBy = error.origin === 'remote' ? 'upstream' : 'gateway'
        }
        return fail(
          502,
          `the upstream failed before answering: ${(error as Error).message}`,
          'upstream_error',
          'upstream_reset',
          'upstream-reset',
        )
      } finally {
        clearTimeout(timer)
      }
      record.ttfbMs = round(performance.now() - sentAt)
      record.status = response.status
      record.bytesIn = body?.bytes ?? 0
      // Preload links become pushes, promised before the response that names them (RFC 9113 §8.4).
      if (route.config.push && response.status >= 200 && response.status < 300) {
        this.#push(exchange, route, path, response)
      }
      this.#streamResponse(exchange, response, lease, record, body, client, done)
      return
    }
  }

  /**
   * The RFC 9218 priority the route of a request gives it when the request carries no `priority` header:
   * the HTTP/2 front opens the request's stream with it (see priority.ts).
   */
  defaultPriority(path: string | undefined, authority: string | undefined): Rfc9218Priority | undefined {
    const priority = path === undefined ? undefined : this.#route(path, authority)?.config.priority
    return priority === undefined ? undefined : { scheme: 'rfc9218', ...priority }
  }

  /** Server push of the upstream's preload links (push.ts): each is served like a request of the client's. */
  #push(exchange: Exchange, route: CompiledRoute, upstreamPath: string, response: ClientResponse): void {
    pushPreloads(exchange, response.fields, {
      // Not new URL(path, base): a path of '//host/…' would be taken for another authority.
      upstreamUrl: new URL(route.url.origin + upstreamPath),
      upstreamPrefix: route.config.rewritePrefix ?? route.config.prefix,
      clientPrefix: route.config.prefix,
      max: route.config.maxPushes,
      sameRoute: (path) => this.#route(path, exchange.authority) === route,
      serve: (pushed) => this.handle(pushed),
    })
  }

  #clientCancelled(record: StreamRecord, code: number | undefined, done: () => void): void {
    record.outcome = 'client-cancelled'
    record.resetBy = 'client'
    record.resetCode = code === undefined ? undefined : errorCodeName(code)
    done()
  }

  /** Upstream response body → client, paused whenever the client's side is full. */
  #streamResponse(
    exchange: Exchange,
    response: ClientResponse,
    lease: Lease,
    record: StreamRecord,
    body: RequestBody | undefined,
    client: ClientSide,
    done: () => void,
  ): void {
    const out = exchange.out
    let over = false
    const end = () => {
      if (over) return false
      over = true
      lease.release()
      record.bytesIn = body?.bytes ?? 0
      return true
    }
    const fields = clientResponseFields(response.fields, record.requestId)
    // A short answer often arrives whole with its headers: pass it on at once, with no stream for its
    // body, so that the client gets headers, body and END_STREAM in one write, the last bytes in the frame
    // that ends the stream. (Larger ones flow below, without a copy.)
    const whole = response.completeBody(64 * 1024)
    if (whole !== undefined) {
      const { chunks } = whole
      const trailers = trailersOf(whole.trailers)
      // An answer without content (204, 304, a HEAD's, an empty body) ends with its header section.
      if (chunks.length === 0 && trailers.length === 0) {
        exchange.respond(response.status, fields, true)
      } else {
        exchange.respond(response.status, fields)
        for (let i = 0; i < chunks.length - 1; i++) out.write(chunks[i])
        exchange.finish(trailers, chunks.at(-1))
      }
      record.bytesOut += whole.bytes
      end()
      done()
      return
    }
    exchange.respond(response.status, fields)
    const upstream = response.body
    // An error listener is attached below; nothing else may see the body's error as unhandled.
    let stalledSince = 0
    upstream.on('data', (chunk: Buffer) => {
      record.bytesOut += chunk.length
      if (!out.write(chunk)) {
        upstream.pause()
        stalledSince = performance.now()
      }
    })
    out.on('drain', () => {
      if (stalledSince !== 0) {
        record.stalledMs = round(record.stalledMs + performance.now() - stalledSince)
        stalledSince = 0
      }
      upstream.resume()
    })
    upstream.on('end', () => {
      if (!end()) return
      exchange.finish(trailersOf(upstream.trailers))
      done()
    })
    upstream.on('error', (error: Error) => {
      if (!end()) return
      if (client.gone) {
        this.#clientCancelled(record, client.code, done)
        return
      }
      // The upstream reset the stream or died mid-body: the client must not take a cut body for a
      // whole one.
      record.outcome = 'upstream-reset'
      record.resetBy = isStreamError(error) && error.origin === 'remote' ? 'upstream' : 'gateway'
      record.resetCode = isStreamError(error) ? errorCodeName(error.code) : undefined
      exchange.abort(ErrorCode.INTERNAL_ERROR)
      done()
    })
    client.onGone = () => {
      // The upstream stream was already reset by the client-gone handler of #proxy.
      if (!end()) return
      upstream.destroy()
      this.#clientCancelled(record, client.code, done)
    }
  }
}

function trailersOf(headers: Record<string, string | string[]>): Field[] {
  const trailers: Field[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) trailers.push([name, v])
    else trailers.push([name, value])
  }
  return trailers
}

const sameSettings = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** Routes sorted for matching, with their keys read (from the config and the environment). */
function compileRoutes(config: GatewayConfig): CompiledRoute[] {
  return (
    config.routes
      .map((route) => {
        const upstream = config.upstreams[route.upstream]!
        const auth = route.auth
        let keys: Set<string> | undefined
        if (auth?.gatewayKeys !== undefined || auth?.gatewayKeysFromEnv !== undefined) {
          keys = new Set(auth.gatewayKeys ?? [])
          const fromEnv =
            auth.gatewayKeysFromEnv === undefined ? undefined : process.env[auth.gatewayKeysFromEnv]
          for (const key of fromEnv?.split(',') ?? []) if (key.trim() !== '') keys.add(key.trim())
        }
        let authorization: string | undefined
        if (auth?.bearerFromEnv !== undefined) {
          const secret = process.env[auth.bearerFromEnv]
          if (secret === undefined || secret === '') {
            throw new Error(`route ${route.prefix}: environment variable ${auth.bearerFromEnv} is not set`)
          }
          // It goes upstream in a header field, unchecked on the way out (see forwarding.ts): printable
          // ASCII only (RFC 6750 §2.1's b64token is narrower still). A trailing newline from a secrets file
          // is the usual culprit.
          if (!/^[\x21-\x7e]+$/.test(secret)) {
            throw new Error(
              `route ${route.prefix}: environment variable ${auth.bearerFromEnv} must be printable ASCII ` +
                'without spaces or line breaks (it is sent as a bearer token)',
            )
          }
          authorization = `Bearer ${secret}`
        }
        return {
          config: route,
          upstreamName: route.upstream,
          upstream,
          url: new URL(upstream.url),
          keys,
          authorization,
        }
      })
      // Longest prefix first; host-specific routes before catch-all ones of the same length.
      .sort(
        (a, b) =>
          b.config.prefix.length - a.config.prefix.length ||
          Number(b.config.host !== undefined) - Number(a.config.host !== undefined),
      )
  )
}

const round = (ms: number) => Math.round(ms * 100) / 100

/**
 * The time as ISO 8601 text, made once per millisecond: formatting a Date costs about 0.7 µs, a few
 * percent of a proxied request, and at thousands of requests a second most of them share a millisecond.
 */
let isoMs = 0
let isoText = ''
function isoNow(): string {
  const ms = Date.now()
  if (ms !== isoMs) {
    isoMs = ms
    isoText = new Date(ms).toISOString()
  }
  return isoText
}

export { PoolError }
