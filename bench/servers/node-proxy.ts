/**
 * The naive node:http2 proxy the gateway benchmark compares against: a node:http2 server that forwards each
 * stream over one shared `http2.connect` session to the upstream, streaming both bodies (`pipe`) and
 * copying the headers both ways. No pool, limits or error reporting beyond a 502 (or a reset) — the least
 * anyone would write.
 *
 *   npx tsx bench/servers/node-proxy.ts --port 0 --upstream http://127.0.0.1:UPORT
 *
 * Prints exactly `listening on <port>` when ready; exits cleanly on SIGTERM or SIGINT.
 */
import * as http2 from 'node:http2'
import { proxyArgs } from './args.js'
import { serveUntilSignal } from './serve.js'

const { port, upstream } = proxyArgs()

let shared: http2.ClientHttp2Session | undefined
/** The one upstream session, reconnected lazily when it has closed. */
function upstreamSession(): http2.ClientHttp2Session {
  if (shared === undefined || shared.closed || shared.destroyed) {
    const s = http2.connect(upstream)
    s.on('error', () => {})
    s.once('close', () => {
      if (shared === s) shared = undefined
    })
    shared = s
  }
  return shared
}

const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  stream.on('error', () => {})
  // The request's pseudo-headers and fields go upstream as they came (node drops connection-specific ones).
  const up = upstreamSession().request(headers, { endStream: stream.endAfterHeaders })
  up.on('error', () => {
    if (!stream.headersSent && !stream.destroyed) stream.respond({ ':status': 502 }, { endStream: true })
    else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
  })
  up.on('response', (response) => {
    stream.respond(response)
    up.pipe(stream)
  })
  // A request whose HEADERS ended the stream has no body; else stream it (a GET stays one HEADERS frame).
  if (stream.endAfterHeaders) stream.resume()
  else stream.pipe(up)
  stream.once('close', () => {
    if (!up.destroyed) up.close(http2.constants.NGHTTP2_CANCEL)
  })
}

const server = http2.createServer()
server.on('stream', onStream)
serveUntilSignal(server, port, () => shared?.destroy())
