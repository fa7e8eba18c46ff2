/**
 * The servers the conformance suite runs against: ours (`createServer` from @h2ts/streams/node) and
 * node:http2, both with the same handler — read the request body to its end, then answer 200 with a short
 * body. Answering only after the body ended keeps a request's stream open for as long as the client keeps
 * it open, which the stream-state cases rely on.
 */
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { createServer } from '@h2ts/streams/node'
import { type CertPair, selfSignedCert } from '../support/peers.js'

/** The response body: long enough for the flow-control cases (at least 4 octets). */
export const BODY = 'conformance\n'

export interface RunningServer {
  port: number
  close(): Promise<void>
}

export async function startH2ts(opts: { tls?: boolean } = {}): Promise<RunningServer> {
  const tls: CertPair | undefined = opts.tls ? await selfSignedCert() : undefined
  const server = createServer(tls === undefined ? {} : { tls }, (req, res) => {
    res.on('error', () => {})
    const respond = () => {
      if (res.destroyed || res.headersSent) return
      res.respond(200, { 'content-type': 'text/plain' })
      res.end(BODY)
    }
    if (!req.hasBody) return respond()
    req.body.on('error', () => {})
    req.body.on('end', respond)
    req.body.resume()
  })
  const port = await server.listen(0, '127.0.0.1')
  return { port, close: () => server.destroy() }
}

export async function startNodeHttp2(opts: { tls?: boolean } = {}): Promise<RunningServer> {
  const onStream = (stream: http2.ServerHttp2Stream) => {
    stream.on('error', () => {})
    stream.on('end', () => {
      if (stream.destroyed || stream.headersSent) return
      stream.respond({ ':status': 200, 'content-type': 'text/plain' })
      stream.end(BODY)
    })
    stream.resume()
  }
  const server = opts.tls
    ? http2.createSecureServer({ ...(await selfSignedCert()), allowHTTP1: false })
    : http2.createServer()
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
  })
  server.on('stream', onStream)
  server.on('sessionError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Sessions a case left half-open would keep close() waiting.
        for (const s of sessions) s.destroy()
      }),
  }
}
