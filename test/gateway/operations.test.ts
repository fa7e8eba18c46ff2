/**
 * The gateway as operators see it: metrics and health on the admin listener, checked after real traffic
 * (successes, resets and GOAWAYs provoked on purpose). The process-level behaviour (access logs, drain,
 * reload, workers) is in lifecycle.test.ts.
 */
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import * as net from 'node:net'
import { encodeFrame, FrameType } from '@h2ts/frames'
import { parseConfig, type RunningGateway, startGateway } from '@h2ts/gateway'
import { createServer, type Http2Server } from '@h2ts/streams/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** Parses the Prometheus text format into `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

const metric = (m: Map<string, number>, name: string, labels: Record<string, string> = {}): number => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  let total = 0
  for (const [key, value] of m) {
    const brace = key.indexOf('{')
    const base = brace < 0 ? key : key.slice(0, brace)
    if (base !== name) continue
    if (wanted.every((w) => key.includes(w))) total += value
  }
  return total
}

describe('metrics and health', () => {
  let upstream: Http2Server
  let gw: RunningGateway
  let scrape: () => Promise<Map<string, number>>
  const streamEnd = (req: http2.ClientHttp2Stream) =>
    new Promise<{ status: number; rst: number; bytes: number }>((resolve) => {
      let status = 0
      let bytes = 0
      req.on('response', (h) => {
        status = Number(h[':status'])
      })
      req.on('data', (c: Buffer) => {
        bytes += c.length
      })
      req.on('error', () => {})
      req.on('close', () => resolve({ status, rst: req.rstCode ?? 0, bytes }))
    })

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      if (req.path === '/reset') return res.reset(http2.constants.NGHTTP2_INTERNAL_ERROR)
      if (req.path === '/slow') {
        res.respond(200)
        const timer = setInterval(() => res.write('tick\n'), 10)
        res.once('close', () => clearInterval(timer))
        return
      }
      if (req.path === '/big') {
        res.respond(200)
        res.end(Buffer.alloc(1024 * 1024, 1))
        return
      }
      res.respond(200, { 'content-type': 'text/plain' })
      res.end('ok')
    })
    const port = await upstream.listen(0)
    gw = await startGateway(
      parseConfig({
        listen: '127.0.0.1:0',
        admin: '127.0.0.1:0',
        upstreams: { up: { url: `http://127.0.0.1:${port}`, keepAliveInterval: 100 } },
        routes: [{ prefix: '/', upstream: 'up' }],
      }),
    )
    scrape = async () => parseMetrics(await (await fetch(`${gw.urls.admin}/metrics`)).text())
  })
  afterAll(async () => {
    await gw?.close()
    await upstream?.destroy()
  })

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${gw.urls.admin}/healthz`)).status).toBe(200)
    expect((await fetch(`${gw.urls.admin}/readyz`)).status).toBe(200)
  })

  it('counts streams, resets, GOAWAYs, protocol errors, latencies and header bytes as they happened', async () => {
    const before = await scrape()
    const client = http2.connect(gw.urls.cleartext!)
    client.on('error', () => {})
    // 5 requests answered, 1 reset by the client mid-body, 1 reset by the upstream before its response.
    const ok = await Promise.all(
      Array.from({ length: 5 }, () => streamEnd(client.request({ ':path': '/ok' }))),
    )
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    const slow = client.request({ ':path': '/slow' })
    const slowEnd = streamEnd(slow)
    await new Promise<void>((resolve) => slow.once('data', () => resolve()))
    slow.close(http2.constants.NGHTTP2_CANCEL)
    await slowEnd
    const failed = await streamEnd(client.request({ ':path': '/reset' }))
    expect(failed.status).toBe(502)
    client.close()

    // A client that breaks the protocol: WINDOW_UPDATE with increment 0 on the connection (§6.9).
    const goaway = await new Promise<number>((resolve, reject) => {
      const socket = net.connect((gw.listening.ports as { cleartext: number }).cleartext, '127.0.0.1')
      let seen = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk])
        // Find the GOAWAY among the frames the gateway sent.
        for (let at = 0; at + 9 <= seen.length; ) {
          const length = seen.readUIntBE(at, 3)
          if (seen[at + 3] === FrameType.GOAWAY && at + 9 + length <= seen.length) {
            resolve(seen.readUInt32BE(at + 9 + 4))
            socket.destroy()
            return
          }
          at += 9 + length
        }
      })
      socket.on('error', reject)
      socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
      socket.write(encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] }))
      socket.write(Buffer.from([0, 0, 4, FrameType.WINDOW_UPDATE, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
    })
    expect(goaway).toBe(http2.constants.NGHTTP2_PROTOCOL_ERROR)

    // Wait until the seven exchanges are logged as over (the upstream reset of the slow one is async).
    const deadline = Date.now() + 5000
    let after = await scrape()
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels)
    while (delta('h2ts_request_duration_seconds_count') < 7 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
      after = await scrape()
    }
    expect(delta('h2ts_streams_total', { side: 'client' })).toBe(7)
    expect(delta('h2ts_streams_total', { side: 'upstream' })).toBe(7)
    expect(delta('h2ts_request_duration_seconds_count', { route: '/' })).toBe(7)
    expect(delta('h2ts_upstream_ttfb_seconds_count', { route: '/' })).toBe(6)
    expect(delta('h2ts_stream_resets_total', { side: 'client', direction: 'received', code: 'CANCEL' })).toBe(
      1,
    )
    expect(delta('h2ts_stream_resets_total', { side: 'upstream', direction: 'sent', code: 'CANCEL' })).toBe(1)
    expect(
      delta('h2ts_stream_resets_total', { side: 'upstream', direction: 'received', code: 'INTERNAL_ERROR' }),
    ).toBe(1)
    expect(delta('h2ts_goaways_total', { side: 'client', direction: 'sent', code: 'PROTOCOL_ERROR' })).toBe(1)
    expect(delta('h2ts_protocol_errors_total', { side: 'client' })).toBe(1)
    const raw = delta('h2ts_header_bytes_total', { side: 'client', form: 'raw' })
    const encoded = delta('h2ts_header_bytes_total', { side: 'client', form: 'encoded' })
    expect(encoded).toBeGreaterThan(0)
    // HPACK's dynamic table makes the repeated requests' headers much smaller than their field sizes.
    expect(raw).toBeGreaterThan(2 * encoded)
    expect(metric(after, 'h2ts_connections', { side: 'upstream' })).toBe(1)
    expect(metric(after, 'h2ts_upstream_connections', { upstream: 'up' })).toBe(1)
    expect(metric(after, 'h2ts_active_streams', { side: 'client' })).toBe(0)
  })

  it('measures the upstream keep-alive PING round trip', async () => {
    const deadline = Date.now() + 5000
    let count = 0
    while (count === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
      count = metric(await scrape(), 'h2ts_upstream_ping_rtt_seconds_count', { upstream: 'up' })
    }
    expect(count).toBeGreaterThan(0)
  })

  it('counts time streams waited for flow-control window', async () => {
    const before = metric(await scrape(), 'h2ts_flow_control_stall_seconds_total', { side: 'client' })
    // A client with a 16 KiB window that reads slowly: the 1 MiB answer waits for window again and again.
    const client = http2.connect(gw.urls.cleartext!, { settings: { initialWindowSize: 16384 } })
    client.on('error', () => {})
    const req = client.request({ ':path': '/big' })
    req.pause()
    await new Promise((r) => setTimeout(r, 100))
    const done = streamEnd(req)
    req.resume()
    expect((await done).bytes).toBe(1024 * 1024)
    client.close()
    const after = metric(await scrape(), 'h2ts_flow_control_stall_seconds_total', { side: 'client' })
    expect(after - before).toBeGreaterThan(0.05)
  })

  it('is not ready when no upstream can be reached', async () => {
    const closed = net.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const lonely = await startGateway(
      parseConfig({
        listen: '127.0.0.1:0',
        admin: '127.0.0.1:0',
        upstreams: { gone: { url: `http://127.0.0.1:${port}` } },
        routes: [{ prefix: '/', upstream: 'gone' }],
      }),
    )
    try {
      const res = await fetch(`${lonely.urls.admin}/readyz`)
      expect(res.status).toBe(503)
      expect(await res.text()).toMatch(/no upstream reachable/)
      expect((await fetch(`${lonely.urls.admin}/healthz`)).status).toBe(200)
    } finally {
      await lonely.close()
    }
  })
})
