/**
 * Clients nobody here wrote, through the gateway to the mock upstream: curl (HTTP/2 over TLS, HTTP/2 with
 * prior knowledge, HTTP/1.1), nghttp, and the node:http2 client.
 */
import * as http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { curlH2, hasCommand, nghttp, run } from '../support/peers.js'
import { type Harness, sseData, startHarness } from './support.js'

const chatBody = (content: string, stream: boolean) =>
  JSON.stringify({ model: 'gpt-h2ts-mock', stream, messages: [{ role: 'user', content }] })

describe('gateway with real clients', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.close()
  })

  describe.skipIf(!hasCommand('curl'))('curl', () => {
    it('HTTP/2 over TLS (ALPN h2): a streamed completion', async () => {
      const res = await curlH2({
        url: `${h.gateway.urls.tls}/v1/chat/completions`,
        insecure: true,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        data: Buffer.from(chatBody('over tls', true)),
      })
      expect(res.httpVersion).toBe('2')
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
      const events = sseData(res.body.toString())
      expect(events.at(-1)).toBe('[DONE]')
      const text = events
        .slice(0, -1)
        .map(
          (e) =>
            (JSON.parse(e) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta
              .content ?? '',
        )
        .join('')
      expect(text).toBe('Hello from the h2ts mock model. You said: over tls')
    })

    it('HTTP/2 with prior knowledge on the cleartext port', async () => {
      const res = await curlH2({ url: `${h.gateway.urls.cleartext}/v1/models`, priorKnowledge: true })
      expect(res.httpVersion).toBe('2')
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString()).data[0].id).toBe('gpt-h2ts-mock')
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    })

    for (const [label, url] of [
      ['cleartext', () => h.gateway.urls.cleartext],
      ['TLS', () => h.gateway.urls.tls],
    ] as const) {
      it(`HTTP/1.1 on the ${label} port`, async () => {
        const r = await run(
          'curl',
          [
            '-sS',
            '-k',
            '--http1.1',
            '-i',
            '-H',
            'content-type: application/json',
            '--data-binary',
            chatBody('h1', false),
            `${url()}/v1/chat/completions`,
          ],
          { timeoutMs: 15_000 },
        )
        expect(r.code).toBe(0)
        const text = r.stdout.toString()
        expect(text).toMatch(/^HTTP\/1\.1 200 /)
        const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
        expect(body.choices[0].message.content).toBe('Hello from the h2ts mock model. You said: h1')
      })
    }
  })

  describe.skipIf(!hasCommand('nghttp'))('nghttp', () => {
    it('10 concurrent requests on one connection', async () => {
      const res = await nghttp({ url: `${h.gateway.urls.cleartext}/v1/models`, multiply: 10 })
      expect(res.statuses).toEqual(Array(10).fill(200))
    })
  })

  it('node:http2 client: the upstream sees forwarded fields, the client gets the response', async () => {
    const seen: Array<Record<string, string | string[]>> = []
    const onRequest = (_method: string, _path: string, headers: Record<string, string | string[]>) =>
      seen.push(headers)
    h.mock.on('request', onRequest)
    const client = http2.connect(h.gateway.urls.tls!, { rejectUnauthorized: false })
    try {
      const req = client.request({
        ':method': 'GET',
        ':path': '/v1/models',
        'x-forwarded-for': '203.0.113.7',
        'x-request-id': 'req-abc-123',
        te: 'trailers',
      })
      const [headers, body] = await new Promise<[http2.IncomingHttpHeaders, string]>((resolve, reject) => {
        let text = ''
        let head: http2.IncomingHttpHeaders = {}
        req.on('response', (h) => {
          head = h
        })
        req.setEncoding('utf8')
        req.on('data', (c: string) => {
          text += c
        })
        req.on('end', () => resolve([head, text]))
        req.on('error', reject)
      })
      expect(headers[':status']).toBe(200)
      expect(headers['x-request-id']).toBe('req-abc-123')
      expect(JSON.parse(body).object).toBe('list')
      const upstream = seen.at(-1)!
      expect(upstream['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1')
      expect(upstream['x-forwarded-proto']).toBe('https')
      expect(upstream['x-request-id']).toBe('req-abc-123')
      expect(upstream['te']).toBe('trailers')
    } finally {
      h.mock.off('request', onRequest)
      client.close()
    }
  })
})
