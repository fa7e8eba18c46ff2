/**
 * Prometheus metrics (prom-client). Stream and connection events come from the engine's
 * diagnostics_channel messages (`@h2ts/streams/node` channels), counted only for the sessions this
 * gateway owns: `side` is "client" for connections clients opened to us, "upstream" for ours to upstreams.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { errorCodeName } from '@h2ts/streams'
import type {
  ClientSession,
  GoAwayMessage,
  PingAcknowledgedMessage,
  ProtocolErrorMessage,
  ServerSession,
  StreamResetMessage,
} from '@h2ts/streams/node'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Listening } from './listeners.js'
import type { UpstreamPool } from './pool.js'
import type { Gateway, StreamRecord } from './proxy.js'
import { RouteHistogram } from './route-histogram.js'

type Side = 'client' | 'upstream'
type Session = ServerSession | ClientSession

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

export class GatewayMetrics {
  readonly registry: Registry
  readonly #sides = new WeakMap<object, Side>()
  readonly #live = new Set<Session>()
  /** Totals carried over from closed sessions, so counters never go down when a session goes away. */
  readonly #closed = {
    stall: { client: 0, upstream: 0 },
    header: { client: { raw: 0, encoded: 0 }, upstream: { raw: 0, encoded: 0 } },
  }
  readonly #unsubscribe: Array<() => void> = []
  #gateway: Gateway
  #listening: Listening | undefined

  readonly streamsTotal: Counter<'side'>
  readonly resets: Counter<'side' | 'direction' | 'code'>
  readonly goaways: Counter<'side' | 'direction' | 'code'>
  readonly protocolErrors: Counter<'side' | 'reason'>
  readonly requestDuration: RouteHistogram<'route'>
  readonly upstreamTtfb: RouteHistogram<'route'>
  readonly pingRtt: Histogram<'upstream'>

  constructor(gateway: Gateway, registry = new Registry()) {
    this.registry = registry
    this.#gateway = gateway
    const metrics = this
    new Gauge({
      name: 'h2ts_connections',
      help: 'Open connections: from clients (HTTP/2 and HTTP/1.1) and to upstreams',
      labelNames: ['side'],
      registers: [registry],
      collect() {
        this.set({ side: 'client' }, metrics.#clientConnections())
        let upstream = 0
        for (const pool of metrics.#gateway.pools.values()) upstream += pool.stats.connections
        this.set({ side: 'upstream' }, upstream)
      },
    })
    new Gauge({
      name: 'h2ts_upstream_connections',
      help: 'Open HTTP/2 connections per upstream',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [name, pool] of metrics.#gateway.pools)
          this.set({ upstream: name }, pool.stats.connections)
      },
    })
    // Counted in plain numbers per stream and handed to prom-client when scraped: a labelled inc() hashes
    // and validates its labels, which costs more than the rest of the bookkeeping of a stream.
    const started = { client: 0, upstream: 0 }
    this.streamsTotal = new Counter({
      name: 'h2ts_streams_total',
      help: 'Streams started: client requests, and streams opened upstream (a retry opens a second)',
      labelNames: ['side'],
      registers: [registry],
      collect() {
        for (const side of ['client', 'upstream'] as const) {
          if (started[side] > 0) this.inc({ side }, started[side])
          started[side] = 0
        }
      },
    })
    new Gauge({
      name: 'h2ts_active_streams',
      help: 'Streams in progress',
      labelNames: ['side'],
      registers: [registry],
      collect() {
        this.set({ side: 'client' }, metrics.#gateway.activeExchanges)
        let inflight = 0
        for (const pool of metrics.#gateway.pools.values()) inflight += pool.stats.inflight
        this.set({ side: 'upstream' }, inflight)
      },
    })
    this.resets = new Counter({
      name: 'h2ts_stream_resets_total',
      help: 'RST_STREAM frames, by who sent them and their error code',
      labelNames: ['side', 'direction', 'code'],
      registers: [registry],
    })
    this.goaways = new Counter({
      name: 'h2ts_goaways_total',
      help: 'GOAWAY (a graceful shutdown counts once), by direction and error code',
      labelNames: ['side', 'direction', 'code'],
      registers: [registry],
    })
    this.protocolErrors = new Counter({
      name: 'h2ts_protocol_errors_total',
      help: "Protocol violations by the peer, by the engine's stable name for them",
      labelNames: ['side', 'reason'],
      registers: [registry],
    })
    // Observed once per request: counted without prom-client's per-call label hashing (route-histogram.ts).
    this.requestDuration = new RouteHistogram(
      'h2ts_request_duration_seconds',
      'Client request duration, from its headers to the end of the response',
      'route',
      LATENCY_BUCKETS,
      registry,
    )
    this.upstreamTtfb = new RouteHistogram(
      'h2ts_upstream_ttfb_seconds',
      'Time from sending a request upstream to its response headers',
      'route',
      LATENCY_BUCKETS,
      registry,
    )
    this.pingRtt = new Histogram({
      name: 'h2ts_upstream_ping_rtt_seconds',
      help: 'Round-trip time of keep-alive PINGs to upstreams',
      labelNames: ['upstream'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    })
    const stall = new Counter({
      name: 'h2ts_flow_control_stall_seconds_total',
      help: 'Time streams with data to send waited for flow-control window, summed over streams',
      labelNames: ['side'],
      registers: [registry],
      collect() {
        for (const side of ['client', 'upstream'] as const) {
          const total =
            (metrics.#closed.stall[side] + metrics.#sum(side, (s) => s.connection.stats.flowControlStallMs)) /
            1000
          catchUp(this, { side }, total)
        }
      },
    })
    const headerBytes = new Counter({
      name: 'h2ts_header_bytes_total',
      help: 'Header section bytes both ways: as fields (raw, RFC 7541 §4.1 size) and as HPACK blocks (encoded)',
      labelNames: ['side', 'form'],
      registers: [registry],
      collect() {
        for (const side of ['client', 'upstream'] as const) {
          for (const form of ['raw', 'encoded'] as const) {
            const live = metrics.#sum(side, (s) => {
              const st = s.connection.stats
              return st.headerBytesSent[form] + st.headerBytesReceived[form]
            })
            catchUp(this, { side, form }, metrics.#closed.header[side][form] + live)
          }
        }
      },
    })
    void stall
    void headerBytes

    gateway.on('exchange', () => {
      started.client++
    })
    gateway.on('upstreamStream', () => {
      started.upstream++
    })
    gateway.on('stream', (record: StreamRecord) => {
      const route = record.route ?? 'none'
      this.requestDuration.observe(route, record.totalMs / 1000)
      if (record.ttfbMs !== undefined) this.upstreamTtfb.observe(route, record.ttfbMs / 1000)
    })
    const watchPool = (name: string, pool: UpstreamPool) =>
      pool.on('connect', (_id: number, session: ClientSession) => this.#track(session, 'upstream', name))
    for (const [name, pool] of gateway.pools) watchPool(name, pool)
    // A config reload brings new pools.
    gateway.on('pool', watchPool)

    this.#on('h2ts:stream:reset', (m: StreamResetMessage) => {
      const side = this.#sides.get(m.session)
      if (side !== undefined) this.resets.inc({ side, direction: m.direction, code: errorCodeName(m.code) })
    })
    this.#on('h2ts:goaway', (m: GoAwayMessage) => {
      const side = this.#sides.get(m.session)
      if (side !== undefined) this.goaways.inc({ side, direction: m.direction, code: errorCodeName(m.code) })
    })
    this.#on('h2ts:protocol-error', (m: ProtocolErrorMessage) => {
      const side = this.#sides.get(m.session)
      if (side !== undefined) this.protocolErrors.inc({ side, reason: m.reason })
    })
    this.#on('h2ts:ping:acknowledged', (m: PingAcknowledgedMessage) => {
      const upstream = this.#upstreamOf.get(m.session)
      if (upstream !== undefined) this.pingRtt.observe({ upstream }, m.rtt / 1000)
    })
  }

  readonly #upstreamOf = new WeakMap<object, string>()

  /** The listeners whose client sessions are ours. */
  attach(listening: Listening): void {
    this.#listening = listening
    for (const server of listening.http2) {
      server.on('session', (session: ServerSession) => this.#track(session, 'client', undefined))
    }
  }

  /** Stops listening to diagnostics channels. */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off()
  }

  #on<T>(name: string, handler: (message: T) => void): void {
    const listener = (message: unknown) => handler(message as T)
    subscribe(name, listener)
    this.#unsubscribe.push(() => unsubscribe(name, listener))
  }

  #track(session: Session, side: Side, upstream: string | undefined): void {
    this.#sides.set(session, side)
    if (upstream !== undefined) this.#upstreamOf.set(session, upstream)
    this.#live.add(session)
    session.once('close', () => {
      this.#live.delete(session)
      const st = session.connection.stats
      this.#closed.stall[side] += st.flowControlStallMs
      this.#closed.header[side].raw += st.headerBytesSent.raw + st.headerBytesReceived.raw
      this.#closed.header[side].encoded += st.headerBytesSent.encoded + st.headerBytesReceived.encoded
    })
  }

  #sum(side: Side, value: (session: Session) => number): number {
    let total = 0
    for (const session of this.#live) if (this.#sides.get(session) === side) total += value(session)
    return total
  }

  #clientConnections(): number {
    if (this.#listening === undefined) return 0
    let n = this.#listening.http1Connections()
    for (const server of this.#listening.http2) n += server.sessions.size
    return n
  }
}

/** Brings a counter up to a running total kept elsewhere (counters only go up). */
function catchUp<L extends string>(
  counter: Counter<L>,
  labels: Partial<Record<L, string>>,
  total: number,
): void {
  const key = Object.entries(labels)
    .map(([k, v]) => `${k}:${v}`)
    .join(',')
  const last = reported.get(counter)?.get(key) ?? 0
  if (total > last) {
    counter.inc(labels, total - last)
    let byKey = reported.get(counter)
    if (byKey === undefined) {
      byKey = new Map()
      reported.set(counter, byKey)
    }
    byKey.set(key, total)
  }
}
const reported = new WeakMap<object, Map<string, number>>()
