/**
 * Running the gateway as a service: logs (pino), signals (SIGTERM/SIGINT drain, SIGHUP reload), and
 * `workers` processes on one port (node:cluster) with metrics aggregated on the admin listener.
 */
import cluster, { type Worker } from 'node:cluster'
import { pino } from 'pino'
import { AggregatorRegistry, Registry } from 'prom-client'
import { type AdminServer, startAdmin } from './admin.js'
import { ConfigError, type GatewayConfig } from './config.js'
import type { StreamRecord } from './proxy.js'
import { type RunningGateway, startGateway } from './start.js'

export type Logger = pino.Logger

/** JSON lines on stdout; `time` as ISO text. */
export function createLogger(): Logger {
  return pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime })
}

/** One access-log line per stream (the record's own `time` is pino's). */
export function logStream(logger: Logger): (record: StreamRecord) => void {
  return (record) => {
    const { time: _time, ...fields } = record
    logger.info(fields, 'stream')
  }
}

/** How a service gets its configuration again on SIGHUP (throws ConfigError when it is invalid). */
export type ConfigSource = () => GatewayConfig

/** Messages between the primary and its workers. */
type ToWorker = { type: 'reload'; config: GatewayConfig } | { type: 'readyz'; id: number }
type ToPrimary =
  | { type: 'listening'; urls: RunningGateway['urls'] }
  | { type: 'readyz'; id: number; ready: boolean }

/** Serves until SIGTERM/SIGINT; with `workers` > 1, as a cluster. Resolves once listening. */
export async function serve(
  config: GatewayConfig,
  source: ConfigSource,
  logger = createLogger(),
): Promise<void> {
  if (config.workers > 1 && cluster.isPrimary) return servePrimary(config, source, logger)
  if (cluster.isWorker) return serveWorker(config, logger)
  return serveSingle(config, source, logger)
}

async function serveSingle(config: GatewayConfig, source: ConfigSource, logger: Logger): Promise<void> {
  const running = await startGateway(config, {
    ...(config.accessLog ? { onStream: logStream(logger) } : {}),
    drainTimeout: config.drainTimeout,
  })
  logger.info({ urls: running.urls }, 'listening')
  onStopSignal(logger, async () => {
    const finished = await running.drain(config.drainTimeout)
    logger.info({ finished }, finished ? 'drained' : 'drain deadline passed: closed what was left')
  })
  process.on('SIGHUP', () => {
    const next = reread(source, logger)
    if (next === undefined) return
    warnRestartOnly(running.gateway.config, next, logger)
    logger.info(running.reload(next), 'configuration reloaded')
  })
}

async function serveWorker(config: GatewayConfig, logger: Logger): Promise<void> {
  // Metrics of this process, collected by the primary for /metrics.
  const registry = new Registry()
  AggregatorRegistry.setRegistries([registry])
  // Constructing one installs the worker's responder to the primary's metrics requests.
  new AggregatorRegistry()
  const running = await startGateway(
    { ...config, admin: undefined },
    {
      ...(config.accessLog ? { onStream: logStream(logger) } : {}),
      registry,
      drainTimeout: config.drainTimeout,
    },
  )
  process.send?.({ type: 'listening', urls: running.urls } satisfies ToPrimary)
  process.on('message', (message: ToWorker) => {
    if (message.type === 'reload') {
      logger.info(running.reload(message.config), 'configuration reloaded')
    } else if (message.type === 'readyz') {
      void Promise.all([...running.gateway.pools.values()].map((p) => p.reachable(2000))).then((ok) =>
        process.send?.({ type: 'readyz', id: message.id, ready: ok.some(Boolean) } satisfies ToPrimary),
      )
    }
  })
  // The primary sends SIGTERM to each worker on shutdown.
  onStopSignal(logger, async () => {
    await running.drain(config.drainTimeout)
  })
  // SIGHUP is handled by the primary, which sends the new configuration.
  process.on('SIGHUP', () => {})
}

async function servePrimary(config: GatewayConfig, source: ConfigSource, logger: Logger): Promise<void> {
  const aggregator = new AggregatorRegistry()
  let current = config
  let stopping = false
  const listening = new Set<Worker>()
  const fork = () => {
    const worker = cluster.fork()
    worker.on('message', (message: ToPrimary) => {
      if (message.type === 'listening') {
        listening.add(worker)
        if (listening.size === current.workers) {
          const urls = adminUrl === undefined ? message.urls : { ...message.urls, admin: adminUrl }
          logger.info({ urls, workers: listening.size }, 'listening')
        }
      }
    })
    worker.on('exit', (code, signal) => {
      listening.delete(worker)
      if (stopping) return
      // A worker that dies is replaced; the others kept serving meanwhile.
      logger.error({ worker: worker.process.pid, code, signal }, 'worker exited; starting another')
      fork()
    })
  }
  let nextQuery = 1
  const anyWorkerReady = (): Promise<boolean> =>
    new Promise((resolve) => {
      const id = nextQuery++
      let pending = listening.size
      if (pending === 0) return resolve(false)
      const timer = setTimeout(() => finish(false), 3000)
      const handlers = new Map<Worker, (m: ToPrimary) => void>()
      const finish = (ready: boolean) => {
        clearTimeout(timer)
        for (const [w, h] of handlers) w.off('message', h)
        resolve(ready)
      }
      for (const worker of listening) {
        const handler = (m: ToPrimary) => {
          if (m.type !== 'readyz' || m.id !== id) return
          if (m.ready) finish(true)
          else if (--pending === 0) finish(false)
        }
        handlers.set(worker, handler)
        worker.on('message', handler)
        worker.send({ type: 'readyz', id } satisfies ToWorker)
      }
    })

  let admin: AdminServer | undefined
  let adminUrl: string | undefined
  if (config.admin !== undefined) {
    admin = await startAdmin(config.admin, {
      metrics: async () => ({ body: await aggregator.clusterMetrics(), contentType: aggregator.contentType }),
      listening: () => !stopping && listening.size > 0,
      pools: () => [],
      ready: anyWorkerReady,
    })
    adminUrl = `http://${config.admin.slice(0, config.admin.lastIndexOf(':'))}:${admin.port}`
  }
  for (let i = 0; i < config.workers; i++) fork()
  onStopSignal(logger, async () => {
    stopping = true
    const exits = [...Object.values(cluster.workers ?? {})].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker === undefined || worker.isDead()) return resolve()
          worker.once('exit', () => resolve())
          worker.process.kill('SIGTERM')
        }),
    )
    await Promise.all(exits)
    await admin?.close()
    logger.info('all workers drained')
  })
  process.on('SIGHUP', () => {
    const next = reread(source, logger)
    if (next === undefined) return
    warnRestartOnly(current, next, logger)
    current = { ...next, workers: current.workers }
    for (const worker of Object.values(cluster.workers ?? {}))
      worker?.send({ type: 'reload', config: current } satisfies ToWorker)
    logger.info('configuration sent to workers')
  })
}

/** SIGTERM or SIGINT: run `stop` once, then exit 0; a second signal exits at once. */
function onStopSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    logger.info({ signal }, 'draining')
    stop().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ err: error }, 'drain failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
}

function reread(source: ConfigSource, logger: Logger): GatewayConfig | undefined {
  try {
    return source()
  } catch (error) {
    // The running configuration stays: a typo in a reload must not take the gateway down.
    logger.error({ error: error instanceof ConfigError ? error.message : String(error) }, 'reload refused')
    return undefined
  }
}

function warnRestartOnly(previous: GatewayConfig, next: GatewayConfig, logger: Logger): void {
  const changed = (
    ['listen', 'tls', 'admin', 'http2', 'workers', 'accessLog', 'drainTimeout'] as const
  ).filter((key) => JSON.stringify(previous[key]) !== JSON.stringify(next[key]))
  if (changed.length > 0) logger.warn({ fields: changed }, 'these fields change only on restart')
}
