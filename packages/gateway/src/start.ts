/**
 * Starts a gateway from a validated configuration: the proxy and its upstream pools, the client
 * listeners, metrics, and the admin listener; and stops it gracefully.
 */
import type { Registry } from 'prom-client'
import { type AdminServer, startAdmin } from './admin.js'
import type { GatewayConfig } from './config.js'
import { type Listening, startListeners } from './listeners.js'
import { GatewayMetrics } from './metrics.js'
import { Gateway, type StreamRecord } from './proxy.js'

export interface RunningGateway {
  readonly gateway: Gateway
  readonly listening: Listening
  readonly metrics: GatewayMetrics
  readonly admin: AdminServer | undefined
  /** `http://HOST:PORT` of each listener that is configured. */
  readonly urls: { cleartext?: string; tls?: string; admin?: string }
  /**
   * Graceful stop: stop accepting, GOAWAY to HTTP/2 clients (in two steps), `connection: close` to
   * HTTP/1.1 ones, and wait for the streams in flight, for up to `deadlineMs`. Then whatever is left is
   * closed, and the upstream pools and the admin listener are closed. Resolves with whether everything
   * finished before the deadline.
   */
  drain(deadlineMs?: number): Promise<boolean>
  /** drain() with the default deadline. */
  close(): Promise<void>
  /** Takes new routes, upstreams and keys; see Gateway.reload. */
  reload(config: GatewayConfig): ReturnType<Gateway['reload']>
}

export interface StartOptions {
  /** Called with each finished stream (the access log). */
  onStream?: (record: StreamRecord) => void
  /** Where the metrics live (default: a registry of this gateway's own). */
  registry?: Registry
  /** Serve this instead of the local registry on /metrics (workers: the cluster-wide aggregate). */
  metricsText?: () => Promise<{ body: string; contentType: string }>
  /** Default drain deadline for close() (ms; default 30 s). */
  drainTimeout?: number
}

export async function startGateway(
  config: GatewayConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const gateway = new Gateway(config)
  if (options.onStream !== undefined) gateway.on('stream', options.onStream)
  const metrics = new GatewayMetrics(gateway, options.registry)
  const listening = await startListeners(gateway, config)
  metrics.attach(listening)
  let accepting = true
  const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'))
  const admin =
    config.admin === undefined
      ? undefined
      : await startAdmin(config.admin, {
          metrics:
            options.metricsText ??
            (async () => ({
              body: await metrics.registry.metrics(),
              contentType: metrics.registry.contentType,
            })),
          listening: () => accepting,
          pools: () => gateway.pools.values(),
        })
  const urls: { cleartext?: string; tls?: string; admin?: string } = {}
  if (listening.ports.cleartext !== undefined && config.listen !== undefined) {
    urls.cleartext = `http://${hostOf(config.listen)}:${listening.ports.cleartext}`
  }
  if (listening.ports.tls !== undefined && config.tls !== undefined) {
    urls.tls = `https://${hostOf(config.tls.listen)}:${listening.ports.tls}`
  }
  if (admin !== undefined && config.admin !== undefined)
    urls.admin = `http://${hostOf(config.admin)}:${admin.port}`

  let drained: Promise<boolean> | undefined
  const drain = (deadlineMs = options.drainTimeout ?? 30_000): Promise<boolean> => {
    drained ??= (async () => {
      accepting = false
      let timer: NodeJS.Timeout | undefined
      const finished = await Promise.race([
        listening.close().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), deadlineMs)
        }),
      ])
      clearTimeout(timer)
      if (!finished) listening.destroy()
      gateway.close()
      metrics.close()
      await admin?.close()
      return finished
    })()
    return drained
  }
  return {
    gateway,
    listening,
    metrics,
    admin,
    urls,
    drain,
    async close() {
      await drain()
    },
    reload: (next) => gateway.reload(next),
  }
}
