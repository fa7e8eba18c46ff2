/**
 * The OpenAI-compatible mock upstream of the `api` benchmark, over TLS, in one of two forms:
 *
 *   --protocol h2      the demo's mock (`startMockUpstream` of @h2ts/gateway, our HTTP/2 server), ALPN h2;
 *   --protocol http1   its chat completions over HTTP/1.1 (node:https, ALPN http/1.1): the same replies, token by
 *                      token at the same pace, the same JSON and SSE shapes, so that only the protocol differs.
 *
 *   npx tsx bench/servers/openai-mock.ts --protocol h2|http1 --cert FILE --key FILE [--token-interval MS]
 *
 * Prints `listening on <port>` when ready. On SIGUSR2 it prints one line `stats <json>` with what it has
 * counted since it started: TLS connections (and how many resumed a session), requests, CPU time
 * (process.cpuUsage, µs) and header bytes (HTTP/1.1: the text of request and response heads; HTTP/2: HPACK
 * blocks and the RFC 7541 §4.1 size of the same fields, from the connections' stats). Exits on SIGTERM.
 */
import { readFileSync } from 'node:fs'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { mockChatAnswer, startMockUpstream, writeMockEvents } from '@h2ts/gateway'
import type { ServerSession } from '@h2ts/streams/node'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : process.argv[i + 1]
}
const protocol = flag('--protocol') ?? 'h2'
const certFile = flag('--cert')
const keyFile = flag('--key')
if (certFile === undefined || keyFile === undefined)
  throw new Error('--cert FILE and --key FILE are required')
const tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
const tokenInterval = Number(flag('--token-interval') ?? 20)

export interface MockStats {
  protocol: string
  connections: number
  resumed: number
  open: number
  requests: number
  cpuUs: number
  /** Header bytes both ways: as sent on the wire, and uncompressed (equal for HTTP/1.1). */
  headerBytes: { wire: number; uncompressed: number }
}

let connections = 0
let resumed = 0
let open = 0
let requests = 0
let stats: () => MockStats['headerBytes']
let close: () => Promise<void>
let port: number

const onTls = (socket: TLSSocket) => {
  connections++
  if (socket.isSessionReused()) resumed++
  open++
  socket.once('close', () => open--)
}

if (protocol === 'h2') {
  const mock = await startMockUpstream({ tls, tokenInterval, maxConcurrentStreams: 1000 })
  mock.on('request', () => requests++)
  const closed = { wire: 0, uncompressed: 0 }
  const live = new Set<ServerSession>()
  mock.server.on('session', (session: ServerSession) => {
    onTls(session.socket as TLSSocket)
    live.add(session)
    session.once('close', () => {
      live.delete(session)
      const st = session.connection.stats
      closed.wire += st.headerBytesSent.encoded + st.headerBytesReceived.encoded
      closed.uncompressed += st.headerBytesSent.raw + st.headerBytesReceived.raw
    })
  })
  stats = () => {
    const sum = { ...closed }
    for (const s of live) {
      const st = s.connection.stats
      sum.wire += st.headerBytesSent.encoded + st.headerBytesReceived.encoded
      sum.uncompressed += st.headerBytesSent.raw + st.headerBytesReceived.raw
    }
    return sum
  }
  close = () => mock.close()
  port = Number(new URL(mock.url).port)
} else {
  let headerBytes = 0
  const server = https.createServer({ ...tls, ALPNProtocols: ['http/1.1'] }, (req, res) => {
    requests++
    // The request head as it came: request line, then `name: value` lines, then the empty line.
    let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`.length + 2
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      head += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length + 4
    headerBytes += head
    // Node keeps the response head it wrote as text in `_header` (set once the head is sent).
    res.once('finish', () => {
      const sent = (res as unknown as { _header?: string | null })._header
      if (typeof sent === 'string') headerBytes += Buffer.byteLength(sent)
    })
    handle(req, res).catch(() => res.destroy())
  })
  server.keepAliveTimeout = 30_000
  server.on('secureConnection', onTls)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  stats = () => ({ wire: headerBytes, uncompressed: headerBytes })
  close = () =>
    new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
}

/** The mock API of @h2ts/gateway's mock-upstream.ts, over HTTP/1.1: same replies, same pace. */
async function handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
  const path = (req.url ?? '').split('?')[0]
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const json = (status: number, value: unknown) => {
    const body = JSON.stringify(value)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  if (req.method !== 'POST' || path !== '/v1/chat/completions') {
    return json(404, {
      error: {
        message: `Unknown request URL: ${req.method} ${path}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    })
  }
  let body: Record<string, unknown>
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
  } catch {
    return json(400, {
      error: {
        message: 'The request body is not valid JSON.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
    })
  }
  const answer = mockChatAnswer(body)
  if (answer.events === undefined) {
    await delay(tokenInterval * answer.thinkIntervals)
    return json(200, answer.completion)
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
  await writeMockEvents(res, answer.events, tokenInterval)
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

process.stdout.write(`listening on ${port}\n`)
process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage()
  const s: MockStats = {
    protocol,
    connections,
    resumed,
    open,
    requests,
    cpuUs: cpu.user + cpu.system,
    headerBytes: stats(),
  }
  process.stdout.write(`stats ${JSON.stringify(s)}\n`)
})
const stop = () => {
  close().then(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
