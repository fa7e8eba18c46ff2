// Our Node server with the node:http2 client, and our client with a node:http2 server, over loopback.
import { createHash, randomBytes } from 'node:crypto'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, createServer } from '../src/node/index.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

describe('our server, node:http2 client', () => {
  const server = createServer(async (req, res) => {
    if (req.path === '/hello') {
      res.respond(200, { 'content-type': 'text/plain' })
      res.end('hello')
      return
    }
    if (req.path?.startsWith('/echo')) {
      const body = await readAll(req.body)
      res.respond(200, { 'x-sha256': sha(body), 'x-method': req.method })
      res.end(body)
      return
    }
    if (req.path?.startsWith('/download/')) {
      const size = Number(req.path.slice('/download/'.length))
      const body = Buffer.alloc(size, 7)
      res.respond(200, { 'content-length': size })
      res.setTrailers({ 'x-sha256': sha(body) })
      res.end(body)
      return
    }
    res.respond(404, {}, { endStream: true })
  })
  let port = 0
  let client: http2.ClientHttp2Session
  beforeAll(async () => {
    port = await server.listen(0)
    client = http2.connect(`http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  function request(path: string, method = 'GET', body?: Uint8Array) {
    return new Promise<{
      status: number
      headers: http2.IncomingHttpHeaders
      body: Buffer
      trailers: http2.IncomingHttpHeaders
    }>((resolve, reject) => {
      const req = client.request({ ':path': path, ':method': method })
      let trailers: http2.IncomingHttpHeaders = {}
      req.on('response', (headers) => {
        readAll(req).then(
          (b) => resolve({ status: Number(headers[':status']), headers, body: b, trailers }),
          reject,
        )
      })
      req.on('trailers', (t) => {
        trailers = t
      })
      req.on('error', reject)
      if (body !== undefined) req.end(body)
      else req.end()
    })
  }

  it('answers a GET', async () => {
    const r = await request('/hello')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('text/plain')
    expect(r.body.toString()).toBe('hello')
  })

  it.each([0, 1, 65536, 1_000_000])('echoes a %i-byte upload', async (size) => {
    const body = randomBytes(size)
    const r = await request('/echo', 'POST', body)
    expect(r.status).toBe(200)
    expect(r.headers['x-sha256']).toBe(sha(body))
    expect(sha(r.body)).toBe(sha(body))
  })

  it('sends trailers after a body', async () => {
    const r = await request('/download/100000')
    expect(r.body.length).toBe(100000)
    expect(r.trailers['x-sha256']).toBe(sha(Buffer.alloc(100000, 7)))
  })

  it('serves 200 concurrent streams on one connection', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => request('/hello')))
    expect(results.every((r) => r.status === 200 && r.body.toString() === 'hello')).toBe(true)
  })
})

describe('our client, node:http2 server', () => {
  const server = http2.createServer()
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      const body = Buffer.concat(chunks)
      const path = String(headers[':path'])
      if (path.startsWith('/download/')) {
        const size = Number(path.slice('/download/'.length))
        stream.respond({ ':status': 200, 'content-length': size })
        stream.end(Buffer.alloc(size, 3))
        return
      }
      stream.respond({ ':status': 200, 'x-sha256': sha(body), 'x-method': String(headers[':method']) })
      stream.end(body)
    })
  })
  let origin = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('GETs and POSTs with bodies checked by SHA-256', async () => {
    const session = await connect(origin)
    const get = session.request({ ':path': '/x' }, { endStream: true })
    const res = await get.response
    expect(res.status).toBe(200)
    expect((await readAll(res.body)).length).toBe(0)
    for (const size of [1, 65535, 65536, 3_000_000]) {
      const body = randomBytes(size)
      const post = session.request({ ':method': 'POST', ':path': '/up' })
      post.end(body)
      const r = await post.response
      expect(r.headers['x-sha256']).toBe(sha(body))
      expect(sha(await readAll(r.body))).toBe(sha(body))
    }
    session.close()
  })

  it('downloads 5 MB with the default windows', async () => {
    const session = await connect(origin)
    const r = await session.request({ ':path': '/download/5000000' }, { endStream: true }).response
    const body = await readAll(r.body)
    expect(body.length).toBe(5_000_000)
    expect(sha(body)).toBe(sha(Buffer.alloc(5_000_000, 3)))
    session.close()
  })

  it('runs 1,000 concurrent streams on one connection', async () => {
    const session = await connect(origin)
    const all = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const req = session.request({ ':method': 'POST', ':path': `/n/${i}` })
        req.end(`body ${i}`)
        const r = await req.response
        return (await readAll(r.body)).toString() === `body ${i}` && r.status === 200
      }),
    )
    expect(all.filter(Boolean)).toHaveLength(1000)
    session.close()
  })
})
