/**
 * The application every subject server runs in the interop tests. Bodies are the deterministic ones of
 * `makeBody(size, seed)`, so each side knows the other's SHA-256.
 *
 *   GET  /hello                        200 text/plain "hello"
 *   GET  /download?size=N&seed=S       200, N bytes of makeBody(N, S); x-body-sha256 names their hash
 *   ANY  /sha256                       reads the request body; 200 with x-received-sha256 / x-received-bytes
 *                                      and the JSON { sha256, bytes } as the body
 *   ANY  /echo                         streams the request body back as it arrives (full duplex); with
 *                                      request header x-want-trailers: 1, ends with trailers
 *                                      x-echo-sha256 / x-echo-bytes
 *   any other path                     404
 *
 * Any path takes `hold=MS`: wait that long before answering (to build up concurrent streams).
 */
import { createHash } from 'node:crypto'
import { bodyChunks, bodySha256, sleep } from './peers.js'
import type { SubjectHandler } from './subject.js'

export interface InteropAppStats {
  requests: number
  /** Streams whose handler is running now, and the most there ever were at once. */
  active: number
  peakActive: number
  errors: unknown[]
}

export function createInteropApp(): { handler: SubjectHandler; stats: InteropAppStats } {
  const stats: InteropAppStats = { requests: 0, active: 0, peakActive: 0, errors: [] }
  const handler: SubjectHandler = async (req, response) => {
    stats.requests++
    stats.active++
    stats.peakActive = Math.max(stats.peakActive, stats.active)
    // A handler stops counting as active when it ends its response: the END_STREAM that lets the client
    // open its next stream follows that call, while the handler's own return may come a few ticks later.
    let counted = true
    const release = () => {
      if (counted) {
        counted = false
        stats.active--
      }
    }
    const res: typeof response = {
      respond: (status, headers) => response.respond(status, headers),
      write: (chunk) => response.write(chunk),
      end: (trailers) => {
        release()
        return response.end(trailers)
      },
    }
    try {
      const url = new URL(req.path, 'http://x')
      const hold = Number(url.searchParams.get('hold') ?? 0)
      if (hold > 0) await sleep(hold)
      switch (url.pathname) {
        case '/hello': {
          for await (const _ of req.body);
          res.respond(200, { 'content-type': 'text/plain' })
          await res.write(Buffer.from('hello'))
          await res.end()
          return
        }
        case '/download': {
          for await (const _ of req.body);
          const size = Number(url.searchParams.get('size') ?? 0)
          const seed = Number(url.searchParams.get('seed') ?? 1)
          res.respond(200, {
            'content-type': 'application/octet-stream',
            'content-length': String(size),
            'x-body-sha256': bodySha256(size, seed),
          })
          for (const chunk of bodyChunks(size, seed)) await res.write(chunk)
          await res.end()
          return
        }
        case '/sha256': {
          const h = createHash('sha256')
          let bytes = 0
          for await (const chunk of req.body) {
            h.update(chunk)
            bytes += chunk.byteLength
          }
          const sha256 = h.digest('hex')
          res.respond(200, {
            'content-type': 'application/json',
            'x-received-sha256': sha256,
            'x-received-bytes': String(bytes),
          })
          await res.write(Buffer.from(JSON.stringify({ sha256, bytes })))
          await res.end()
          return
        }
        case '/echo': {
          res.respond(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' })
          const h = createHash('sha256')
          let bytes = 0
          for await (const chunk of req.body) {
            h.update(chunk)
            bytes += chunk.byteLength
            await res.write(chunk)
          }
          if (req.headers['x-want-trailers'] === '1')
            await res.end({ 'x-echo-sha256': h.digest('hex'), 'x-echo-bytes': String(bytes) })
          else await res.end()
          return
        }
        default: {
          for await (const _ of req.body);
          res.respond(404, { 'content-type': 'text/plain' })
          await res.write(Buffer.from('not found'))
          await res.end()
        }
      }
    } catch (e) {
      stats.errors.push(e)
      throw e
    } finally {
      release()
    }
  }
  return { handler, stats }
}
