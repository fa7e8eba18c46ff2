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
import { helloArgs } from './args.js'
import { serveUntilSignal } from './serve.js'

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
serveUntilSignal(server, port)
