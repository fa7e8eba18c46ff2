/**
 * A pool of HTTP/2 connections to one upstream. Requests become streams on the fullest connection that
 * still has room (so a few connections carry everything); a new connection opens only when every open
 * one is at the upstream's SETTINGS_MAX_CONCURRENT_STREAMS, up to `maxConnections`; past that, requests
 * wait in a bounded queue with a deadline.
 */
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { type ClientSession, type ConnectOptions, connect } from '@h2ts/streams/node'
import type { UpstreamConfig } from './config.js'

/** Why a request could not get a stream. `status` is what the client is answered with. */
export class PoolError extends Error {
  override readonly name = 'PoolError'
  constructor(
    readonly reason: 'queue-full' | 'queue-timeout' | 'connect-failed' | 'closed',
    message: string,
    readonly status: 502 | 503,
  ) {
    super(message)
  }
}

/** A stream slot on one connection; release it exactly once, when the exchange is over. */
export interface Lease {
  readonly session: ClientSession
  /** Position of the connection in the pool's history (for logs and tests). */
  readonly connectionId: number
  release(): void
}

interface PooledConnection {
  readonly id: number
  readonly session: ClientSession
  inflight: number
  /** GOAWAY received or sent: no new streams. */
  draining: boolean
}

interface Waiter {
  resolve(lease: Lease): void
  reject(error: PoolError): void
  timer: NodeJS.Timeout | undefined
  /** A connection this request must not go to (its first attempt was refused there). */
  avoid: number | undefined
}

export interface PoolStats {
  connections: number
  connecting: number
  inflight: number
  queued: number
}

/**
 * Events: 'connect' (connectionId, session), 'close' (connectionId, error?), 'goaway' (connectionId, code,
 * lastStreamId), 'connectError' (error).
 */
export class UpstreamPool extends EventEmitter {
  readonly url: URL
  readonly #config: UpstreamConfig
  readonly #connectOptions: ConnectOptions
  readonly #connections: PooledConnection[] = []
  readonly #waiters: Waiter[] = []
  #connecting = 0
  #nextId = 1
  #failures = 0
  #retryAt = 0
  #retryTimer: NodeJS.Timeout | undefined
  #closed = false

  constructor(url: string, config: UpstreamConfig) {
    super()
    this.url = new URL(url)
    this.#config = config
    const tlsOptions: NonNullable<ConnectOptions['tls']> = { rejectUnauthorized: config.rejectUnauthorized }
    if (config.ca !== undefined) tlsOptions.ca = readFileSync(config.ca)
    if (config.servername !== undefined) tlsOptions.servername = config.servername
    this.#connectOptions = {
      tls: tlsOptions,
      connectTimeout: config.connectTimeout,
      keepAliveInterval: config.keepAliveInterval,
      idleTimeout: config.idleTimeout,
      connection: {
        connectionWindowSize: config.connectionWindow,
        settings: { initialWindowSize: config.streamWindow, enablePush: false },
        // Requests carry the client's fields, checked on arrival (by our decoder, or node:http's parser),
        // and the ones we add, valid by construction: no second scan (see forwarding.ts).
        checkOutgoingFields: false,
      },
    }
  }

  get stats(): PoolStats {
    let inflight = 0
    for (const c of this.#connections) inflight += c.inflight
    return {
      connections: this.#connections.length,
      connecting: this.#connecting,
      inflight,
      queued: this.#waiters.length,
    }
  }

  /** A stream slot now, if one is free and nobody waits before us; otherwise undefined (then `acquire`). */
  tryAcquire(avoid?: number): Lease | undefined {
    if (this.#closed || this.#waiters.length > 0) return undefined
    const conn = this.#pick(avoid)
    return conn === undefined ? undefined : this.#lease(conn)
  }

  /**
   * A stream slot, now or once one frees up. `avoid` names a connection not to use (a retry after
   * REFUSED_STREAM or GOAWAY goes elsewhere when it can).
   */
  acquire(avoid?: number): Promise<Lease> {
    if (this.#closed) return Promise.reject(new PoolError('closed', 'the pool is closed', 503))
    const lease = this.tryAcquire(avoid)
    if (lease !== undefined) return Promise.resolve(lease)
    if (this.#waiters.length >= this.#config.maxQueued) {
      return Promise.reject(
        new PoolError(
          'queue-full',
          `${this.#waiters.length} requests already wait for ${this.url.host}`,
          503,
        ),
      )
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, avoid }
      if (this.#config.queueTimeout > 0) {
        waiter.timer = setTimeout(() => {
          const at = this.#waiters.indexOf(waiter)
          if (at >= 0) this.#waiters.splice(at, 1)
          reject(
            new PoolError(
              'queue-timeout',
              `no stream to ${this.url.host} within ${this.#config.queueTimeout} ms`,
              503,
            ),
          )
        }, this.#config.queueTimeout)
      }
      this.#waiters.push(waiter)
      this.#serve()
    })
  }

  /** The open connections' sessions (for metrics). */
  get sessions(): ClientSession[] {
    return this.#connections.map((c) => c.session)
  }

  /**
   * Whether the upstream can be reached: true at once with an open connection, else after opening one
   * (within `timeoutMs`). For readiness checks; the connection stays in the pool.
   */
  async reachable(timeoutMs = 2000): Promise<boolean> {
    if (this.#connections.some((c) => !c.draining && !c.session.closed)) return true
    if (this.#closed || !this.#canOpen()) return false
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        this.off('connect', onConnect)
        this.off('connectError', onError)
        resolve(ok)
      }
      const onConnect = () => done(true)
      const onError = () => done(false)
      const timer = setTimeout(() => done(false), timeoutMs)
      this.on('connect', onConnect)
      this.on('connectError', onError)
      if (this.#connecting === 0) this.#open()
    })
  }

  /**
   * Replaced by `successor` (a config reload): requests waiting here move over to it, streams in flight
   * finish, and the connections close gracefully.
   */
  retire(successor: UpstreamPool): void {
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      successor.acquire().then(waiter.resolve, waiter.reject)
    }
    this.close()
  }

  /** Closes every connection gracefully (GOAWAY; streams in flight finish) and fails queued requests. */
  close(): void {
    this.#closed = true
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      waiter.reject(new PoolError('closed', 'the pool is closed', 503))
    }
    for (const conn of this.#connections) conn.session.close()
  }

  /** Streams one connection may carry now: the upstream's limit, capped by ours. */
  #capacity(conn: PooledConnection): number {
    const peer = conn.session.connection.remoteSettings.maxConcurrentStreams
    const cap = this.#config.maxStreamsPerConnection
    return cap === undefined ? peer : Math.min(peer, cap)
  }

  /** The busiest usable connection with room: packing streams keeps the connection count low. */
  #pick(avoid: number | undefined): PooledConnection | undefined {
    let best: PooledConnection | undefined
    for (const conn of this.#connections) {
      if (conn.draining || conn.session.closed || conn.id === avoid) continue
      if (conn.inflight >= this.#capacity(conn)) continue
      if (best === undefined || conn.inflight > best.inflight) best = conn
    }
    return best
  }

  #lease(conn: PooledConnection): Lease {
    conn.inflight++
    let released = false
    return {
      session: conn.session,
      connectionId: conn.id,
      release: () => {
        if (released) return
        released = true
        conn.inflight--
        this.#serve()
      },
    }
  }

  /** Hands free slots to waiters in order, and opens a connection when they need one. */
  #serve(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0]!
      let conn = this.#pick(waiter.avoid)
      // A retry that can only go back to the connection it was refused on takes it rather than wait
      // forever, unless another connection may still open.
      if (conn === undefined && waiter.avoid !== undefined && !this.#canOpen()) conn = this.#pick(undefined)
      if (conn === undefined) break
      this.#waiters.shift()
      if (waiter.timer !== undefined) clearTimeout(waiter.timer)
      waiter.resolve(this.#lease(conn))
    }
    if (this.#waiters.length > 0 && this.#connecting === 0 && this.#canOpen()) this.#open()
  }

  #canOpen(): boolean {
    return !this.#closed && this.#connections.length + this.#connecting < this.#config.maxConnections
  }

  #open(): void {
    const wait = this.#retryAt - Date.now()
    if (wait > 0) {
      // Reconnecting with backoff after failures: the waiters keep waiting (up to their deadline).
      if (this.#retryTimer === undefined) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined
          this.#serve()
        }, wait)
        this.#retryTimer.unref()
      }
      return
    }
    this.#connecting++
    const id = this.#nextId++
    connect(this.url, this.#connectOptions).then(
      (session) => {
        this.#connecting--
        this.#failures = 0
        this.#retryAt = 0
        if (this.#closed) {
          session.close()
          return
        }
        const conn: PooledConnection = { id, session, inflight: 0, draining: false }
        this.#connections.push(conn)
        session.on('goaway', (code: number, lastStreamId: number) => {
          // RFC 9113 §6.8: no new streams here; those in flight up to lastStreamId finish.
          conn.draining = true
          this.emit('goaway', id, code, lastStreamId)
          this.#serve()
        })
        // The upstream's SETTINGS may raise (or lower) how many streams fit.
        session.on('remoteSettings', () => this.#serve())
        session.on('close', (error?: Error) => {
          const at = this.#connections.indexOf(conn)
          if (at >= 0) this.#connections.splice(at, 1)
          this.emit('close', id, error)
          this.#serve()
        })
        // A connection-level failure is reported through 'close'; keep 'error' from being unhandled.
        session.on('error', () => {})
        this.emit('connect', id, session)
        this.#serve()
      },
      (error: Error) => {
        this.#connecting--
        this.#failures++
        // Exponential backoff with jitter: 100 ms, 200 ms, … up to 10 s.
        const backoff = Math.min(10_000, 100 * 2 ** (this.#failures - 1))
        this.#retryAt = Date.now() + backoff * (0.5 + Math.random() / 2)
        this.emit('connectError', error)
        // Requests that have no connection to wait for fail now rather than at their deadline.
        if (this.#connections.length === 0) {
          for (const waiter of this.#waiters.splice(0)) {
            if (waiter.timer !== undefined) clearTimeout(waiter.timer)
            waiter.reject(
              new PoolError('connect-failed', `cannot connect to ${this.url.host}: ${error.message}`, 502),
            )
          }
        } else {
          this.#serve()
        }
      },
    )
  }
}
