/**
 * What the gateway does with a stream when things go right and wrong: streaming without buffering,
 * header rewriting, trailers, cancellation both ways, upstream resets, deaths and GOAWAYs, timeouts, and
 * the pool's limits. Upstreams here are node:http2 servers the test controls.
 */
import * as http from 'node:http'
import * as http2 from 'node:http2'
import * as https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import * as net from 'node:net'
import { clientPreface, encodeFrame, Flags, FrameDecoder, FrameType, isFrameError } from '@h2ts/frames'
import {
  type GatewayConfigInput,
  parseConfig,
  type RunningGateway,
  selfSignedCertificate,
  startGateway,
  startMockUpstream,
} from '@h2ts/gateway'
import { Encoder } from '@h2ts/hpack'
import { createServer } from '@h2ts/streams/node'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTempDir, writeTempFile } from '../support/peers.js'
import { collectRecords } from './support.js'

type Handler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  session: http2.ServerHttp2Session,
) => void

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function upstream(
  handler: Handler,
  settings: http2.Settings = {},
): Promise<{ url: string; server: http2.Http2Server; sockets: Set<Socket> }> {
  const server = http2.createServer({ settings })
  const sessions = new Set<http2.ServerHttp2Session>()
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => sockets.add(socket))
  server.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
  })
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    handler(stream, headers, stream.session as http2.ServerHttp2Session)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets }
}

async function gateway(url: string, upstreamOptions: object = {}, extra: Partial<GatewayConfigInput> = {}) {
  const running: RunningGateway = await startGateway(
    parseConfig({
      listen: '127.0.0.1:0',
      upstreams: { up: { url, ...upstreamOptions } },
      routes: [{ prefix: '/', upstream: 'up' }],
      ...extra,
    }),
  )
  const log = collectRecords(running)
  cleanups.push(() => running.close())
  return { running, url: running.urls.cleartext!, ...log }
}

/** A node:http2 client session to the gateway, closed after the test. */
function h2client(url: string): http2.ClientHttp2Session {
  const client = http2.connect(url)
  client.on('error', () => {})
  cleanups.push(() => {
    client.destroy()
  })
  return client
}

interface Got {
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
  trailers: http2.IncomingHttpHeaders | undefined
}

function fetch2(
  client: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string,
): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined })
    if (body !== undefined) req.end(body)
    let head: http2.IncomingHttpHeaders = {}
    let trailers: http2.IncomingHttpHeaders | undefined
    let text = ''
    req.setEncoding('utf8')
    req.on('response', (h) => {
      head = h
    })
    req.on('trailers', (t) => {
      trailers = t
    })
    req.on('data', (c: string) => {
      text += c
    })
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: text, trailers }))
    req.on('error', reject)
  })
}

/** Resolves with the RST_STREAM code the client's stream ends with (or 0 when it ends normally). */
function streamEnd(req: http2.ClientHttp2Stream): Promise<number> {
  return new Promise((resolve) => {
    req.on('error', () => {})
    req.on('close', () => resolve(req.rstCode ?? 0))
    req.resume()
  })
}

const waitFor = async (check: () => boolean, what: string, ms = 5000) => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('streaming', () => {
  it('passes each server-sent event on before the upstream sends the next (HTTP/2 and HTTP/1.1 clients)', async () => {
    // The upstream sends event k+1 only once the client has received event k: a buffering proxy would
    // deadlock here, a streaming one finishes.
    const received: Array<() => void> = []
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' })
      let k = 0
      const next = () => {
        if (k === 5) {
          stream.end('data: [DONE]\n\n')
          return
        }
        stream.write(`data: ${k++}\n\n`)
        received.push(next)
      }
      next()
    })
    const gw = await gateway(up.url)
    const pump = (chunk: string, seen: string[]) => {
      for (const m of chunk.matchAll(/data: (\S+)\n\n/g)) {
        seen.push(m[1]!)
        received.shift()?.()
      }
    }

    const viaH2 = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = []
      const req = h2client(gw.url).request({ ':path': '/events' })
      req.setEncoding('utf8')
      req.on('data', (c: string) => pump(c, seen))
      req.on('end', () => resolve(seen))
      req.on('error', reject)
    })
    expect(viaH2).toEqual(['0', '1', '2', '3', '4', '[DONE]'])

    const viaH1 = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = []
      http
        .get(`${gw.url}/events`, (res) => {
          res.setEncoding('utf8')
          res.on('data', (c: string) => pump(c, seen))
          res.on('end', () => resolve(seen))
        })
        .on('error', reject)
    })
    expect(viaH1).toEqual(['0', '1', '2', '3', '4', '[DONE]'])
  })

  it('rewrites the header sections both ways and passes trailers through', async () => {
    let seen: http2.IncomingHttpHeaders = {}
    let bodySeen = ''
    const up = await upstream((stream, headers) => {
      seen = headers
      stream.setEncoding('utf8')
      stream.on('data', (c: string) => {
        bodySeen += c
      })
      stream.on('end', () => {
        stream.respond({ ':status': 201, 'x-upstream': 'yes' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }))
        stream.end('created')
      })
    })
    const gw = await gateway(up.url)
    const got = await fetch2(
      h2client(gw.url),
      { ':method': 'POST', ':path': '/v1/things?x=1', ':authority': 'gateway.example', 'x-custom': 'kept' },
      'payload',
    )
    expect(got.status).toBe(201)
    expect(got.body).toBe('created')
    expect(got.headers['x-upstream']).toBe('yes')
    expect(got.trailers?.['x-checksum']).toBe('abc')
    expect(seen[':authority']).toBe(new URL(up.url).host)
    expect(seen[':path']).toBe('/v1/things?x=1')
    expect(seen[':scheme']).toBe('http')
    expect(seen['x-custom']).toBe('kept')
    expect(seen['x-forwarded-proto']).toBe('http')
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(bodySeen).toBe('payload')

    // HTTP/1.1: hop-by-hop fields (and those the connection header names) do not reach the upstream.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${gw.url}/v1/h1`,
        {
          method: 'POST',
          headers: {
            connection: 'keep-alive, x-hop',
            'keep-alive': 'timeout=5',
            'x-hop': 'drop me',
            'proxy-connection': 'keep-alive',
            te: 'trailers, deflate',
            'x-end': 'keep me',
          },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.on('error', reject)
      req.end('h1 body')
    })
    expect(status).toBe(201)
    expect(seen['x-end']).toBe('keep me')
    for (const name of [
      'connection',
      'keep-alive',
      'x-hop',
      'proxy-connection',
      'host',
      'transfer-encoding',
    ]) {
      expect(seen[name], name).toBeUndefined()
    }
    expect(seen['te']).toBe('trailers')
    expect(bodySeen).toBe('payloadh1 body')
  })
})

/** GETs `path` over a raw connection and returns the frames of stream 1 as [type, flags, length]. */
async function rawGet(url: string, path: string): Promise<Array<[number, number, number]>> {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  cleanups.push(() => {
    socket.destroy()
  })
  await new Promise((resolve) => socket.once('connect', resolve))
  const block = new Encoder().encode([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', 'x'],
    [':path', path],
  ])
  socket.write(clientPreface())
  socket.write(encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] }))
  socket.write(
    encodeFrame({
      type: FrameType.HEADERS,
      flags: Flags.END_HEADERS | Flags.END_STREAM,
      streamId: 1,
      fragment: block,
    }),
  )
  const decoder = new FrameDecoder({ preface: 'server' })
  const frames: Array<[number, number, number]> = []
  return new Promise((resolve, reject) => {
    socket.on('error', reject)
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) {
        if (isFrameError(item)) return reject(item)
        if (item.streamId !== 1) continue
        const length = 'data' in item ? item.data.length : 'fragment' in item ? item.fragment.length : 0
        frames.push([item.type, item.flags & (Flags.END_STREAM | Flags.END_HEADERS), length])
        if (item.flags & Flags.END_STREAM || item.type === FrameType.RST_STREAM) resolve(frames)
      }
    })
  })
}

describe('what the client receives, frame by frame', () => {
  it('a short body goes in the DATA frame that ends the stream; an empty one ends with the headers', async () => {
    const up = await upstream((stream, headers) => {
      if (headers[':path'] === '/empty') stream.respond({ ':status': 204 }, { endStream: true })
      else {
        stream.respond({ ':status': 200 })
        stream.end('hello')
      }
    })
    const gw = await gateway(up.url)
    const headersOnly = Flags.END_HEADERS
    expect(await rawGet(gw.url, '/hello')).toEqual([
      [FrameType.HEADERS, headersOnly, expect.any(Number)],
      [FrameType.DATA, Flags.END_STREAM, 5],
    ])
    expect(await rawGet(gw.url, '/empty')).toEqual([
      [FrameType.HEADERS, headersOnly | Flags.END_STREAM, expect.any(Number)],
    ])
  })
})

describe('the access log', () => {
  it('records how long a response waited for a slow client (stalledMs), and none for a fast one', async () => {
    const up = await upstream((stream, headers) => {
      stream.respond({ ':status': 200 })
      stream.end(headers[':path'] === '/big' ? Buffer.alloc(1024 * 1024) : 'small')
    })
    const gw = await gateway(up.url)
    const client = h2client(gw.url)
    expect((await fetch2(client, { ':path': '/small' })).status).toBe(200)
    expect((await gw.nextRecord()).stalledMs).toBe(0)
    // A 1 MiB answer to a client that reads nothing for a while: its 64 KiB window fills and the upstream
    // stream is paused until the client reads again.
    const req = client.request({ ':path': '/big' })
    req.pause()
    await new Promise((r) => setTimeout(r, 200))
    const code = streamEnd(req)
    expect(await code).toBe(0)
    const record = await gw.nextRecord()
    expect(record.bytesOut).toBe(1024 * 1024)
    expect(record.stalledMs).toBeGreaterThan(0)
  })
})

describe('cancellation', () => {
  const slowStream = (resets: number[]) =>
    upstream((stream) => {
      stream.on('close', () => resets.push(stream.rstCode ?? -1))
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' })
      const timer = setInterval(() => {
        if (!stream.destroyed) stream.write('data: tick\n\n')
      }, 10)
      stream.on('close', () => clearInterval(timer))
    })

  it('an HTTP/2 client resetting its stream resets the upstream stream with CANCEL', async () => {
    const resets: number[] = []
    const up = await slowStream(resets)
    const gw = await gateway(up.url)
    const req = h2client(gw.url).request({ ':path': '/stream' })
    await new Promise<void>((resolve) => req.once('data', () => resolve()))
    req.close(http2.constants.NGHTTP2_CANCEL)
    await waitFor(() => resets.length === 1, 'the upstream reset')
    expect(resets).toEqual([http2.constants.NGHTTP2_CANCEL])
    const record = await gw.nextRecord()
    expect(record.outcome).toBe('client-cancelled')
    expect(record.resetBy).toBe('client')
    expect(record.resetCode).toBe('CANCEL')
  })

  it('an HTTP/1.1 client disconnecting mid-body resets the upstream stream with CANCEL', async () => {
    const resets: number[] = []
    const up = await slowStream(resets)
    const gw = await gateway(up.url)
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${gw.url}/stream`, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', (e) => {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e)
      })
    })
    await waitFor(() => resets.length === 1, 'the upstream reset')
    expect(resets).toEqual([http2.constants.NGHTTP2_CANCEL])
    expect((await gw.nextRecord()).outcome).toBe('client-cancelled')
  })
})

describe('upstream failures', () => {
  it('an upstream reset before the response gives 502 in the OpenAI error shape', async () => {
    const up = await upstream((stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR))
    const gw = await gateway(up.url)
    const got = await fetch2(h2client(gw.url), { ':path': '/x' })
    expect(got.status).toBe(502)
    expect(JSON.parse(got.body).error.code).toBe('upstream_reset')
    const record = await gw.nextRecord()
    expect(record.outcome).toBe('upstream-reset')
    expect(record.resetBy).toBe('upstream')
    expect(record.resetCode).toBe('INTERNAL_ERROR')
  })

  it('an upstream reset mid-body resets the HTTP/2 client stream and cuts the HTTP/1.1 response', async () => {
    // Our own server as the upstream: node:http2's stream.close() ends the body before it resets.
    const server = createServer((_req, res) => {
      res.respond(200)
      res.write('partial')
      setTimeout(() => res.reset(http2.constants.NGHTTP2_INTERNAL_ERROR), 20)
    })
    const port = await server.listen(0)
    cleanups.push(() => server.destroy())
    const gw = await gateway(`http://127.0.0.1:${port}`)
    const code = await streamEnd(h2client(gw.url).request({ ':path': '/x' }))
    expect(code).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR)

    const aborted = await new Promise<boolean>((resolve) => {
      http.get(`${gw.url}/x`, (res) => {
        res.on('error', () => {})
        res.on('aborted', () => resolve(true))
        res.on('end', () => resolve(res.complete === false))
        res.resume()
      })
    })
    expect(aborted).toBe(true)
  })

  it('an upstream that dies mid-stream fails the streams in flight, and the gateway keeps serving', async () => {
    let kill = true
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 })
      if (kill) {
        kill = false
        stream.write('partial')
        setTimeout(() => {
          for (const socket of up.sockets) socket.destroy()
        }, 20)
      } else {
        stream.end('fine')
      }
    })
    const gw = await gateway(up.url)
    const client = h2client(gw.url)
    const code = await streamEnd(client.request({ ':path': '/dies' }))
    expect(code).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR)
    const again = await fetch2(client, { ':path': '/after' })
    expect(again.status).toBe(200)
    expect(again.body).toBe('fine')
    const records = [await gw.nextRecord(), await gw.nextRecord()]
    expect(records.map((r) => r.outcome)).toEqual(['upstream-reset', 'ok'])
    expect(records[1]!.upstreamConnection).not.toBe(records[0]!.upstreamConnection)
  })

  it('streams above a GOAWAY last-stream-id are retried on another connection; those below finish', async () => {
    let first: http2.ServerHttp2Session | undefined
    const held: http2.ServerHttp2Stream[] = []
    const up = await upstream((stream, headers, session) => {
      first ??= session
      if (session !== first) {
        stream.respond({ ':status': 200 })
        stream.end(`retried ${headers[':path']}`)
        return
      }
      held.push(stream)
      if (held.length === 3) {
        // Only the first stream (id 1) will be processed: 3 and 5 were not and must go elsewhere.
        session.goaway(http2.constants.NGHTTP2_NO_ERROR, 1)
        setTimeout(() => {
          held[0]!.respond({ ':status': 200 })
          held[0]!.end(`first ${headers[':path'] === undefined ? '' : 'done'}`)
        }, 20)
      }
    })
    const gw = await gateway(up.url)
    const client = h2client(gw.url)
    const a = fetch2(client, { ':path': '/a' })
    await waitFor(() => held.length === 1, 'stream a')
    const b = fetch2(client, { ':path': '/b', ':method': 'POST' }, 'body of b')
    await waitFor(() => held.length === 2, 'stream b')
    const c = fetch2(client, { ':path': '/c' })
    const [ra, rb, rc] = await Promise.all([a, b, c])
    expect(ra.body).toBe('first done')
    expect(rb.body).toBe('retried /b')
    expect(rc.body).toBe('retried /c')
    const records = [await gw.nextRecord(), await gw.nextRecord(), await gw.nextRecord()]
    expect(
      records
        .filter((r) => r.retried)
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/b', '/c'])
    expect(records.every((r) => r.status === 200)).toBe(true)
  })

  it('a stream refused with REFUSED_STREAM is retried once elsewhere, body included', async () => {
    let refused = 0
    const bodies: string[] = []
    const up = await upstream((stream) => {
      if (refused++ === 0) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
        return
      }
      let text = ''
      stream.setEncoding('utf8')
      stream.on('data', (c: string) => {
        text += c
      })
      stream.on('end', () => {
        bodies.push(text)
        stream.respond({ ':status': 200 })
        stream.end('ok')
      })
    })
    const gw = await gateway(up.url)
    const got = await fetch2(h2client(gw.url), { ':method': 'POST', ':path': '/retry' }, 'x'.repeat(5000))
    expect(got.status).toBe(200)
    expect(bodies).toEqual(['x'.repeat(5000)])
    expect((await gw.nextRecord()).retried).toBe(true)
  })

  it('an upstream that does not answer in time gives 504 and a CANCEL upstream', async () => {
    const resets: number[] = []
    const up = await upstream((stream) => {
      stream.on('close', () => resets.push(stream.rstCode ?? -1))
    })
    const gw = await gateway(up.url, { responseTimeout: 150 })
    const got = await fetch2(h2client(gw.url), { ':path': '/slow' })
    expect(got.status).toBe(504)
    expect(JSON.parse(got.body).error.code).toBe('upstream_timeout')
    await waitFor(() => resets.length === 1, 'the upstream reset')
    expect(resets).toEqual([http2.constants.NGHTTP2_CANCEL])
  })

  it('an unreachable upstream gives 502 at once', async () => {
    const up = await upstream(() => {})
    const url = up.url
    await new Promise<void>((resolve) => up.server.close(() => resolve()))
    const gw = await gateway(url, { connectTimeout: 2000 })
    const got = await fetch2(h2client(gw.url), { ':path': '/x' })
    expect(got.status).toBe(502)
    expect(JSON.parse(got.body).error.code).toBe('connect_failed')
  })
})

describe('the upstream pool', () => {
  /** An upstream whose streams wait until released. */
  const holdingUpstream = async (settings: http2.Settings) => {
    const waiting: http2.ServerHttp2Stream[] = []
    const sessions = new Set<http2.ServerHttp2Session>()
    const up = await upstream((stream, _h, session) => {
      sessions.add(session)
      waiting.push(stream)
    }, settings)
    const releaseAll = () => {
      for (const s of waiting.splice(0)) {
        if (!s.destroyed) {
          s.respond({ ':status': 200 })
          s.end('ok')
        }
      }
    }
    return { up, waiting, sessions, releaseAll }
  }

  it('opens a second connection only when the first is at the upstream SETTINGS_MAX_CONCURRENT_STREAMS', async () => {
    const u = await holdingUpstream({ maxConcurrentStreams: 2 })
    const gw = await gateway(u.up.url)
    const client = h2client(gw.url)
    const pool = gw.running.gateway.pools.get('up')!
    const first = [fetch2(client, { ':path': '/1' }), fetch2(client, { ':path': '/2' })]
    await waitFor(() => u.waiting.length === 2, 'two streams upstream')
    expect(u.sessions.size).toBe(1)
    const more = [fetch2(client, { ':path': '/3' }), fetch2(client, { ':path': '/4' })]
    await waitFor(() => u.waiting.length === 4, 'four streams upstream')
    expect(u.sessions.size).toBe(2)
    expect(pool.stats.connections).toBe(2)
    u.releaseAll()
    const all = await Promise.all([...first, ...more])
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200])
  })

  it('queues past maxConnections, answers 503 when the queue is full or its wait is over', async () => {
    const u = await holdingUpstream({ maxConcurrentStreams: 1 })
    const gw = await gateway(u.up.url, { maxConnections: 1, maxQueued: 1, queueTimeout: 300 })
    const client = h2client(gw.url)
    const served = fetch2(client, { ':path': '/served' })
    await waitFor(() => u.waiting.length === 1, 'the first stream')
    const queued = fetch2(client, { ':path': '/queued' })
    await waitFor(() => gw.running.gateway.pools.get('up')!.stats.queued === 1, 'the queued request')
    const overflow = await fetch2(client, { ':path': '/overflow' })
    expect(overflow.status).toBe(503)
    expect(JSON.parse(overflow.body).error.code).toBe('queue_full')
    const timedOut = await queued
    expect(timedOut.status).toBe(503)
    expect(JSON.parse(timedOut.body).error.code).toBe('queue_timeout')
    u.releaseAll()
    expect((await served).status).toBe(200)
  })

  it('a queued request gets the slot freed by a finished one', async () => {
    const u = await holdingUpstream({ maxConcurrentStreams: 1 })
    const gw = await gateway(u.up.url, { maxConnections: 1, queueTimeout: 5000 })
    const client = h2client(gw.url)
    const one = fetch2(client, { ':path': '/one' })
    await waitFor(() => u.waiting.length === 1, 'the first stream')
    const two = fetch2(client, { ':path': '/two' })
    await waitFor(() => gw.running.gateway.pools.get('up')!.stats.queued === 1, 'the queued request')
    u.releaseAll()
    await waitFor(() => u.waiting.length === 1, 'the second stream')
    u.releaseAll()
    expect([(await one).status, (await two).status]).toEqual([200, 200])
    expect(u.sessions.size).toBe(1)
  })
})

describe('the cleartext front', () => {
  it('closes a connection that stays silent past http2.handshakeTimeout', async () => {
    const up = await upstream(() => {})
    const gw = await gateway(up.url, {}, { http2: { handshakeTimeout: 100 } })
    const socket = net.connect(Number(new URL(gw.url).port), '127.0.0.1')
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true))
      socket.on('error', () => {})
    })
    expect(closed).toBe(true)
  })
})

describe('routes', () => {
  it('routes by longest prefix and host, rewrites the prefix, 404s the rest', async () => {
    const paths: string[] = []
    const up = await upstream((stream, headers) => {
      paths.push(String(headers[':path']))
      stream.respond({ ':status': 200 })
      stream.end()
    })
    const gw = await gateway(
      up.url,
      {},
      {
        upstreams: { up: { url: up.url }, other: { url: up.url } },
        routes: [
          { prefix: '/v1/', upstream: 'up' },
          { prefix: '/v1/special/', upstream: 'other', rewritePrefix: '/internal/' },
          { prefix: '/hosted/', host: 'api.example', upstream: 'up' },
        ],
      },
    )
    const client = h2client(gw.url)
    expect((await fetch2(client, { ':path': '/v1/a' })).status).toBe(200)
    expect((await fetch2(client, { ':path': '/v1/special/b' })).status).toBe(200)
    expect((await fetch2(client, { ':path': '/hosted/c', ':authority': 'api.example:443' })).status).toBe(200)
    const missing = await fetch2(client, { ':path': '/hosted/c', ':authority': 'elsewhere' })
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body).error.code).toBe('route_not_found')
    expect(paths).toEqual(['/v1/a', '/internal/b', '/hosted/c'])
  })
})

describe('upstream keep-alive', () => {
  it('closes an upstream connection whose PINGs go unanswered, and opens a new one for the next request', async () => {
    // A peer that completes the HTTP/2 handshake (SETTINGS and its ACK) and then never says anything again.
    const sockets = new Set<Socket>()
    let connections = 0
    const silent = net.createServer((socket) => {
      connections++
      sockets.add(socket)
      socket.on('error', () => {})
      let acked = false
      socket.on('data', () => {
        if (acked) return
        acked = true
        socket.write(encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] }))
        socket.write(encodeFrame({ type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] }))
      })
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy()
          silent.close(() => resolve())
        }),
    )
    const port = (silent.address() as AddressInfo).port
    const gw = await gateway(`http://127.0.0.1:${port}`, { keepAliveInterval: 100, responseTimeout: 5000 })
    const pool = gw.running.gateway.pools.get('up')!
    const closed = new Promise<number>((resolve) => pool.once('close', (id: number) => resolve(id)))
    const client = h2client(gw.url)
    const pending = fetch2(client, { ':path': '/never' })
    expect(await closed).toBe(1)
    // The stream in flight on the dead connection failed before its response: 502.
    expect((await pending).status).toBe(502)
    expect(pool.stats.connections).toBe(0)
    const next = fetch2(client, { ':path': '/again' })
    await waitFor(() => connections === 2, 'a new upstream connection')
    client.destroy()
    await next.catch(() => {})
  })
})

describe('the TLS front', () => {
  it('serves h2 and http/1.1 by ALPN with a certificate and key read from files', async () => {
    const { cert, key } = await selfSignedCertificate()
    const dir = makeTempDir('h2ts-gw-cert-')
    cleanups.push(() => dir.cleanup())
    const certFile = await writeTempFile(dir.path, 'cert.pem', cert)
    const keyFile = await writeTempFile(dir.path, 'key.pem', key)
    const up = await upstream((stream) => {
      stream.respond({ ':status': 200 })
      stream.end('over tls')
    })
    const gw = await gateway(up.url, {}, { tls: { listen: '127.0.0.1:0', cert: certFile, key: keyFile } })
    const url = gw.running.urls.tls!
    const client = http2.connect(url, { ca: cert, servername: 'localhost' })
    client.on('error', () => {})
    cleanups.push(() => {
      client.destroy()
    })
    const got = await fetch2(client, { ':path': '/x' })
    expect(got.body).toBe('over tls')
    expect((client.socket as import('node:tls').TLSSocket).alpnProtocol).toBe('h2')
    const h1 = await new Promise<string>((resolve, reject) => {
      https
        .get(`${url}/x`, { ca: cert, servername: 'localhost', agent: false }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            body += c
          })
          res.on('end', () => resolve(`${res.httpVersion} ${body}`))
        })
        .on('error', reject)
    })
    expect(h1).toBe('1.1 over tls')
  })
})

describe('TLS upstreams', () => {
  it('verifies the upstream certificate: trusted through the ca option, refused (502) without it', async () => {
    const { cert, key } = await selfSignedCertificate()
    const mock = await startMockUpstream({ tls: { cert, key } })
    cleanups.push(() => mock.close())
    const dir = makeTempDir('h2ts-gw-ca-')
    cleanups.push(() => dir.cleanup())
    const ca = await writeTempFile(dir.path, 'ca.pem', cert)
    // The certificate names localhost and 127.0.0.1; the URL uses the IP, which is what gets verified.
    const trusted = await gateway(mock.url, { ca })
    const ok = await fetch2(h2client(trusted.url), { ':path': '/v1/models' })
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body).data[0].id).toBe('gpt-h2ts-mock')

    const untrusted = await gateway(mock.url)
    const refused = await fetch2(h2client(untrusted.url), { ':path': '/v1/models' })
    expect(refused.status).toBe(502)
    expect(JSON.parse(refused.body).error.message).toMatch(/self[- ]signed certificate/)
  })
})
