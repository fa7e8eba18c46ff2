/**
 * The admin listener: `/metrics` (Prometheus text), `/healthz` (the process is alive) and `/readyz` (it
 * listens and at least one upstream can be reached). Plain HTTP/1.1, as scrapers and probes speak it.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { splitHostPort } from './config.js'
import type { UpstreamPool } from './pool.js'

export interface AdminSource {
  /** Prometheus text exposition, and its content type. */
  metrics(): Promise<{ body: string; contentType: string }>
  /** Whether the client listeners are up (false once draining). */
  listening(): boolean
  pools(): Iterable<UpstreamPool>
  /** Overrides the upstream check (the cluster primary asks its workers). */
  ready?: () => Promise<boolean>
}

export interface AdminServer {
  readonly port: number
  close(): Promise<void>
}

export async function startAdmin(address: string, source: AdminSource): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n')
    if (path === '/healthz') return reply(200, 'ok\n')
    if (path === '/readyz') {
      void ready(source).then((problem) =>
        problem === undefined ? reply(200, 'ready\n') : reply(503, `${problem}\n`),
      )
      return
    }
    if (path === '/metrics') {
      source.metrics().then(
        ({ body, contentType }) => reply(200, body, contentType),
        (error: Error) => reply(500, `metrics failed: ${error.message}\n`),
      )
      return
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n')
  })
  const { host, port } = splitHostPort(address)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Undefined when ready, else what is wrong. */
async function ready(source: AdminSource): Promise<string | undefined> {
  if (!source.listening()) return 'not listening (starting or draining)'
  if (source.ready !== undefined)
    return (await source.ready()) ? undefined : 'no worker can reach an upstream'
  const pools = [...source.pools()]
  const reachable = await Promise.all(pools.map((pool) => pool.reachable(2000)))
  if (reachable.some(Boolean)) return undefined
  return `no upstream reachable (${pools.map((p) => p.url.host).join(', ')})`
}
