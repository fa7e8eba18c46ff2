/**
 * The node:http2 "hello" server for the h2load benchmark: every request (any method, any path) gets 200,
 * `content-type: text/plain` and the body `hello` (or `--size N` bytes); request bodies are read and dropped.
 *
 *   npx tsx bench/servers/node-hello.ts --port 0 [--size N] [--tls --cert FILE --key FILE]
 *
 * Prints exactly `listening on <port>` when ready; exits cleanly on SIGTERM or SIGINT.
 * bench/servers/h2ts-hello.ts takes the same flags.
 */
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { helloArgs } from './args.js'

const { port, body, tls } = helloArgs()
const headers = { ':status': 200, 'content-type': 'text/plain', 'content-length': body.length }

const onStream = (stream: http2.ServerHttp2Stream) => {
  stream.on('error', () => {})
  stream.resume()
  stream.respond(headers)
  stream.end(body)
}

const server: http2.Http2Server | http2.Http2SecureServer =
  tls === undefined ? http2.createServer() : http2.createSecureServer(tls)
server.on('stream', onStream)
const sessions = new Set<http2.ServerHttp2Session>()
server.on('session', (s) => {
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
  setTimeout(() => process.exit(0), 1000).unref()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
