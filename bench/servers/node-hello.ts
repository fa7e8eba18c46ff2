/**
 * The node:http2 "hello" server for the h2load benchmark: every request (any method, any path) gets 200,
 * `content-type: text/plain` and the body `hello` (or `--size N` bytes); request bodies are read and dropped.
 *
 *   npx tsx bench/servers/node-hello.ts --port 0 [--size N] [--tls --cert FILE --key FILE]
 *
 * Prints exactly `listening on <port>` when ready; exits cleanly on SIGTERM or SIGINT.
 * bench/servers/h2ts-hello.ts takes the same flags.
 */
import { readFileSync } from 'node:fs'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  if (i < 0) return undefined
  const v = process.argv[i + 1]
  if (v === undefined) throw new Error(`${name} needs a value`)
  return v
}

const port = Number(flag('--port') ?? 0)
const size = flag('--size')
const tls = process.argv.includes('--tls')
const body = size === undefined ? Buffer.from('hello') : Buffer.alloc(Number(size), 'x')
const headers = { ':status': 200, 'content-type': 'text/plain', 'content-length': body.length }

const onStream = (stream: http2.ServerHttp2Stream) => {
  stream.on('error', () => {})
  stream.resume()
  stream.respond(headers)
  stream.end(body)
}

let server: http2.Http2Server | http2.Http2SecureServer
if (tls) {
  const cert = flag('--cert')
  const key = flag('--key')
  if (cert === undefined || key === undefined) throw new Error('--tls needs --cert FILE and --key FILE')
  server = http2.createSecureServer({ cert: readFileSync(cert), key: readFileSync(key) })
} else {
  server = http2.createServer()
}
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
