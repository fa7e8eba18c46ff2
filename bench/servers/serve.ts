/**
 * The common life of the node:http2 benchmark servers: listen on 127.0.0.1, print `listening on <port>`
 * when ready, and on SIGTERM or SIGINT close every session and exit (at most a second later).
 */
import type * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'

export function serveUntilSignal(
  server: http2.Http2Server | http2.Http2SecureServer,
  port: number,
  onStop: () => void = () => {},
): void {
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s)
    s.on('error', () => {})
    s.once('close', () => sessions.delete(s))
  })
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening on ${(server.address() as AddressInfo).port}\n`)
  })
  const stop = () => {
    server.close(() => process.exit(0))
    for (const s of sessions) s.destroy()
    onStop()
    setTimeout(() => process.exit(0), 1000).unref()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
