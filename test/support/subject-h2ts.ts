/**
 * h2ts behind the interop subject interfaces (see subject.ts): our Node server and client from
 * `@h2ts/streams/node`, so every case the harness runs against node:http2 also runs against them.
 */
import { once } from 'node:events'
import { connect, createServer, type IncomingHeaders } from '@h2ts/streams/node'
import type { HeaderRecord, SubjectClient, SubjectResponse, SubjectServer } from './subject.js'

function flatten(h: IncomingHeaders): HeaderRecord {
  const out: HeaderRecord = {}
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** Resolves when a writable can take more, or rejects if it closes first. */
function writable(w: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      w.off('drain', onDrain)
      w.off('close', onClose)
      w.off('error', done)
      if (error) reject(error)
      else resolve()
    }
    const onDrain = () => done()
    const onClose = () => done(new Error('stream closed while writing'))
    w.on('drain', onDrain)
    w.on('close', onClose)
    w.on('error', done)
  })
}

export const h2tsServer: SubjectServer = async (opts, handler) => {
  const server = createServer(
    {
      ...(opts.tls === undefined ? {} : { tls: { cert: opts.tls.cert, key: opts.tls.key } }),
      ...(opts.maxConcurrentStreams === undefined
        ? {}
        : { connection: { settings: { maxConcurrentStreams: opts.maxConcurrentStreams } } }),
    },
    (req, res) => {
      res.on('error', () => {})
      req.body.on('error', () => {})
      const response: SubjectResponse = {
        respond(status, headers = {}) {
          res.respond(status, headers)
        },
        async write(chunk) {
          if (res.destroyed || res.writableEnded) throw new Error('stream is closed')
          if (!res.write(chunk)) await writable(res)
        },
        async end(trailers) {
          if (res.destroyed) throw new Error('stream is closed')
          if (trailers !== undefined) res.setTrailers(trailers)
          const finished = once(res, 'finish')
          res.end()
          await finished
        },
      }
      Promise.resolve()
        .then(() =>
          handler(
            {
              method: req.method,
              path: req.path ?? '',
              scheme: req.scheme ?? '',
              authority: req.authority ?? '',
              headers: flatten(req.headers),
              body: req.body,
            },
            response,
          ),
        )
        .catch((error: unknown) => {
          console.error('[h2ts] subject handler failed:', error)
          res.reset(0x2) // INTERNAL_ERROR
        })
    },
  )
  const port = await server.listen(0, '127.0.0.1')
  return {
    port,
    close: () => server.destroy(),
  }
}

export const h2tsClient: SubjectClient = async (opts) => {
  const session = await connect(opts.origin, opts.ca === undefined ? {} : { tls: { ca: opts.ca } })
  return {
    async request(r) {
      const req = session.request(
        { ':method': r.method, ':path': r.path, ...(r.headers ?? {}) },
        { endStream: r.body === undefined },
      )
      req.on('error', () => {})
      if (r.body instanceof Uint8Array) req.end(r.body)
      else if (r.body !== undefined) {
        const body = r.body
        void (async () => {
          try {
            for await (const chunk of body) {
              if (req.destroyed) return
              if (!req.write(chunk)) await writable(req)
            }
            req.end()
          } catch {
            req.reset()
          }
        })()
      }
      const response = await req.response
      response.body.on('error', () => {})
      const trailers = new Promise<HeaderRecord>((resolve) => {
        const done = () => resolve(flatten(response.body.trailers))
        response.body.once('end', done)
        response.body.once('close', done)
      })
      return { status: response.status, headers: flatten(response.headers), body: response.body, trailers }
    },
    async close() {
      if (session.closed) return
      const closed = once(session, 'close')
      session.close()
      await closed
    },
  }
}
