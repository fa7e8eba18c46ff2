/**
 * The server under attack, in a process of its own so that its memory is its own. Started by
 * support.ts with `--options <ServerOptions as JSON>`; prints `listening on <port>`.
 *
 * Routes: `/` → 200 "hello"; `/slow?ms=N` → an async handler that waits N ms whatever happens (a backend
 * that cannot be cancelled) and then answers; `/big?bytes=N` → N bytes written with backpressure; `/echo` →
 * the request body's length. Any path starting with `/attack` is counted apart (a handler the attacker
 * must never reach).
 *
 * Over the IPC channel it answers `{ type: 'stats' }` with its peak RSS (sampled every 5 ms), the most
 * handlers seen running at once on one connection, the largest stream table of a connection, and why
 * connections ended; `{ type: 'reset' }` starts the peaks again.
 */
import { createServer, type ServerOptions, type ServerSession } from '@h2ts/streams/node'

const at = process.argv.indexOf('--options')
const options = (at >= 0 ? JSON.parse(process.argv[at + 1]!) : {}) as ServerOptions

export interface Stats {
  rss: number
  peakRss: number
  /** Most handlers running at once on one connection (counted by this script, not by the adapter). */
  maxRunning: number
  /** Most handlers the adapter counted running on one connection. */
  maxAdapterRunning: number
  /** Largest engine stream table seen on one connection. */
  maxActiveStreams: number
  handled: number
  attackHandled: number
  /** Bytes /big handlers managed to write. */
  bigBytesWritten: number
  /** Connection ends by reason (`connectionError` events and session close errors). */
  reasons: Record<string, number>
  sessions: number
}

let peakRss = 0
let maxRunning = 0
let maxAdapterRunning = 0
let maxActiveStreams = 0
let handled = 0
let attackHandled = 0
let bigBytesWritten = 0
const reasons: Record<string, number> = {}
const running = new WeakMap<ServerSession, number>()

const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
  for (const session of server.sessions) {
    maxActiveStreams = Math.max(maxActiveStreams, session.connection.activeStreams)
    maxAdapterRunning = Math.max(maxAdapterRunning, session.runningHandlers)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const server = createServer(options, async (req, res) => {
  handled++
  const session = req.session
  const now = (running.get(session) ?? 0) + 1
  running.set(session, now)
  maxRunning = Math.max(maxRunning, now)
  try {
    const url = new URL(req.path ?? '/', 'http://x')
    // `/attack/slow` is `/slow` as far as routing goes, counted apart.
    const path = url.pathname.startsWith('/attack') ? url.pathname.slice(7) || '/' : url.pathname
    if (path !== url.pathname) attackHandled++
    if (path === '/slow') {
      await sleep(Number(url.searchParams.get('ms') ?? 100))
      if (req.resetError !== undefined) return
      res.respond(200)
      res.end('slow')
    } else if (path === '/big') {
      let left = Number(url.searchParams.get('bytes') ?? 1 << 20)
      const chunk = Buffer.alloc(16384, 0x61)
      res.respond(200)
      while (left > 0 && !res.destroyed) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
        left -= piece.length
        bigBytesWritten += piece.length
        if (!res.write(piece)) {
          await new Promise<void>((resolve) => {
            res.once('drain', resolve)
            res.once('close', resolve)
          })
        }
      }
      if (!res.destroyed) res.end()
      await new Promise<void>((resolve) => (res.closed ? resolve() : res.once('close', resolve)))
    } else if (path === '/echo') {
      let n = 0
      for await (const chunk of req.body) n += (chunk as Buffer).length
      res.respond(200)
      res.end(String(n))
    } else {
      if (req.hasBody) req.body.resume()
      res.respond(200, { 'content-type': 'text/plain' })
      res.end('hello')
    }
  } catch {
    // A reset in the middle of a body: the request is gone.
  } finally {
    running.set(session, (running.get(session) ?? 1) - 1)
  }
})

server.on('session', (session: ServerSession) => {
  session.on('connectionError', (error: { reason: string }) => {
    reasons[error.reason] = (reasons[error.reason] ?? 0) + 1
  })
  session.on('close', (error?: { reason?: string }) => {
    if (error?.reason === 'write-timeout') reasons['write-timeout'] = (reasons['write-timeout'] ?? 0) + 1
  })
})

setInterval(sample, 5).unref()

process.on('message', (message: { type: string }) => {
  sample()
  if (message.type === 'reset') {
    peakRss = process.memoryUsage.rss()
    maxRunning = 0
    maxAdapterRunning = 0
    maxActiveStreams = 0
    for (const key of Object.keys(reasons)) delete reasons[key]
  }
  const stats: Stats = {
    rss: process.memoryUsage.rss(),
    peakRss,
    maxRunning,
    maxAdapterRunning,
    maxActiveStreams,
    handled,
    attackHandled,
    bigBytesWritten,
    reasons: { ...reasons },
    sessions: server.sessions.size,
  }
  process.send!(stats)
})

const port = await server.listen(0, '127.0.0.1')
process.stdout.write(`listening on ${port}\n`)
process.on('disconnect', () => process.exit(0))
