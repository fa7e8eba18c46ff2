/**
 * The front of the gateway: a cleartext port that serves HTTP/2 with prior knowledge and HTTP/1.1 side by
 * side (told apart by the first bytes, RFC 9113 §3.4), and a TLS port that offers "h2" and "http/1.1"
 * by ALPN (§3.2).
 */
import * as http from 'node:http'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { createServer, type Http2Server, type ServerOptions } from '@h2ts/streams/node'
import type { GatewayConfig } from './config.js'
import { splitHostPort } from './config.js'
import { h2Exchange, http1Exchange, isTls } from './exchange.js'
import type { Gateway } from './proxy.js'
import { selfSignedCertificate } from './self-signed.js'

/** The client connection preface (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** Whether the first bytes read are (the start of) the HTTP/2 preface. */
export function startsWithPreface(chunk: Buffer): boolean {
  const n = Math.min(chunk.length, PREFACE.length)
  return n > 0 && chunk.subarray(0, n).equals(PREFACE.subarray(0, n))
}

export interface Listening {
  /** Bound addresses, e.g. `{ cleartext: 8080, tls: 8443 }`. */
  readonly ports: { cleartext?: number; tls?: number }
  /** HTTP/2 servers (for drain and metrics); HTTP/1.1 servers. */
  readonly http2: Http2Server[]
  readonly http1: http.Server[]
  /** Open HTTP/1.1 client connections. */
  http1Connections(): number
  /** Stops accepting, GOAWAY to HTTP/2 clients, and resolves when every connection has closed. */
  close(): Promise<void>
  /** Closes every client connection now (after a drain deadline). */
  destroy(): void
}

function sessionOptions(config: GatewayConfig, gateway: Gateway): ServerOptions {
  const h2 = config.http2
  return {
    idleTimeout: h2.idleTimeout,
    keepAliveInterval: h2.keepAliveInterval,
    connection: {
      settings: {
        maxConcurrentStreams: h2.maxConcurrentStreams,
        headerTableSize: h2.headerTableSize,
        initialWindowSize: h2.initialWindowSize,
        maxFrameSize: h2.maxFrameSize,
        maxHeaderListSize: h2.maxHeaderListSize,
      },
      connectionWindowSize: h2.connectionWindowSize,
      priorities: h2.priorities,
      // A route's default urgency for requests that carry none (priority.ts).
      defaultPriority: (request) => gateway.defaultPriority(request.path, request.authority),
      limits: { maxHeaderListSize: h2.maxHeaderListSize },
      // What we send clients is the upstream's response, whose fields our decoder checked (RFC 9113
      // §8.2.1) as they arrived, plus fields we make valid ourselves: no second scan (see forwarding.ts).
      checkOutgoingFields: false,
    },
  }
}

function listen(server: net.Server, address: string): Promise<number> {
  const { host, port } = splitHostPort(address)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as net.AddressInfo).port)
    })
  })
}

export async function startListeners(gateway: Gateway, config: GatewayConfig): Promise<Listening> {
  const options = sessionOptions(config, gateway)
  const ports: { cleartext?: number; tls?: number } = {}
  const http2: Http2Server[] = []
  const http1: http.Server[] = []
  const sockets: net.Server[] = []

  // HTTP/1.1 connections and their requests in flight, so that closing can end idle ones at once and
  // busy ones after their response (node:http tracks only connections its own listener accepted).
  const h1Busy = new Map<net.Socket, number>()
  let closing = false
  const h1Done = (socket: net.Socket) => {
    const n = (h1Busy.get(socket) ?? 1) - 1
    h1Busy.set(socket, n)
    if (closing && n === 0) socket.destroy()
  }

  const makeFront = (scheme: 'http' | 'https') => {
    const h2 = createServer(options, (req, res) => gateway.handle(h2Exchange(req, res, scheme)))
    const h1 = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const socket = req.socket
      h1Busy.set(socket, (h1Busy.get(socket) ?? 0) + 1)
      if (closing) res.shouldKeepAlive = false
      res.once('close', () => h1Done(socket))
      gateway.handle(http1Exchange(req, res, isTls(socket) ? 'https' : scheme))
    })
    h1.on('connection', (socket: net.Socket) => {
      h1Busy.set(socket, h1Busy.get(socket) ?? 0)
      socket.once('close', () => h1Busy.delete(socket))
    })
    // A malformed HTTP/1.1 request gets node's 400; never an uncaught error.
    h1.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')
      else socket.destroy()
    })
    http2.push(h2)
    http1.push(h1)
    return { h2, h1 }
  }

  if (config.listen !== undefined) {
    const { h2, h1 } = makeFront('http')
    // noDelay: HTTP/1.1 connections are not set up by node:http's own listener, which would turn Nagle off;
    // with it on, a small response can wait for the client's delayed ACK.
    const server = net.createServer({ noDelay: true }, (socket) => {
      socket.on('error', () => socket.destroy())
      // A connection that never says anything is not kept: neither protocol has taken it yet.
      const silent = () => socket.destroy()
      socket.setTimeout(config.http2.handshakeTimeout, silent)
      socket.once('data', (first: Buffer) => {
        // Whoever takes the socket sets its own timeouts; this one must not fire for them.
        socket.setTimeout(0)
        socket.off('timeout', silent)
        socket.pause()
        socket.unshift(first)
        if (startsWithPreface(first)) h2.accept(socket)
        else h1.emit('connection', socket)
        socket.resume()
      })
    })
    sockets.push(server)
    ports.cleartext = await listen(server, config.listen)
  }

  if (config.tls !== undefined) {
    const { h2, h1 } = makeFront('https')
    const { cert, key } = config.tls.selfSigned
      ? await selfSignedCertificate()
      : { cert: await readPem(config.tls.cert!), key: await readPem(config.tls.key!) }
    const server = tls.createServer(
      { cert, key, ALPNProtocols: ['h2', 'http/1.1'], noDelay: true },
      (socket) => {
        socket.on('error', () => socket.destroy())
        // RFC 9113 §3.2: "h2" by ALPN; everything else (http/1.1 or no ALPN) is HTTP/1.1.
        if (socket.alpnProtocol === 'h2') h2.accept(socket)
        else h1.emit('connection', socket)
      },
    )
    server.on('tlsClientError', () => {})
    sockets.push(server)
    ports.tls = await listen(server, config.tls.listen)
  }

  return {
    ports,
    http2,
    http1,
    http1Connections: () => h1Busy.size,
    destroy() {
      for (const h2 of http2) for (const session of h2.sessions) session.destroy()
      for (const socket of h1Busy.keys()) socket.destroy()
    },
    async close() {
      const waits: Array<Promise<void>> = sockets.map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      )
      for (const h2 of http2) {
        for (const session of h2.sessions) {
          waits.push(new Promise<void>((resolve) => session.once('close', () => resolve())))
          session.close()
        }
      }
      closing = true
      for (const [socket, busy] of h1Busy) {
        if (busy === 0) socket.destroy()
        else waits.push(new Promise<void>((resolve) => socket.once('close', () => resolve())))
      }
      await Promise.all(waits)
    },
  }
}

async function readPem(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return readFile(path, 'utf8')
}
