// Our client's response bodies: made as a stream only when asked for (what arrived before is replayed into
// it), taken whole without a stream by completeBody(), flow control held back past the high-water mark
// while nobody reads, and a failure that came first still reaching an 'error' listener.
import { createHash } from 'node:crypto'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { ErrorCode } from '@h2ts/frames'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientSession, connect, createServer } from '../src/node/index.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const big = Buffer.alloc(300 * 1024, 'x')

describe('client response bodies', () => {
  const server = http2.createServer()
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    const path = headers[':path']
    if (path === '/short') {
      stream.respond({ ':status': 200 }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-t': '1' }))
      stream.end('hello')
    } else if (path === '/big') {
      stream.respond({ ':status': 200 })
      stream.end(big)
    } else {
      stream.respond({ ':status': 204 }, { endStream: true })
    }
  })
  let session: ClientSession
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    session = await connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  })
  afterAll(async () => {
    session.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  async function get(path: string) {
    const response = await session.request({ ':path': path }, { endStream: true }).response
    // Let the rest of the response arrive.
    await new Promise((resolve) => setTimeout(resolve, 50))
    return response
  }

  it('completeBody() takes a whole short body and its trailers; body is then empty and ended', async () => {
    const response = await get('/short')
    const whole = response.completeBody()
    expect(whole?.bytes).toBe(5)
    expect(Buffer.concat(whole!.chunks).toString()).toBe('hello')
    expect(whole?.trailers).toEqual({ 'x-t': '1' })
    const rest: Buffer[] = []
    for await (const chunk of response.body) rest.push(chunk as Buffer)
    expect(rest).toEqual([])
    expect(response.body.trailers).toEqual({ 'x-t': '1' })
  })

  it('an empty answer is whole at once, with no chunks', async () => {
    const response = await get('/none')
    expect(response.status).toBe(204)
    expect(response.completeBody()).toEqual({ chunks: [], bytes: 0, trailers: {} })
  })

  it('a body past the high-water mark waits for a reader; read late, it arrives whole', async () => {
    const response = await get('/big')
    // The window was released up to 64 KiB only: the server is held back, the body is not whole yet.
    expect(response.completeBody()).toBeUndefined()
    const chunks: Buffer[] = []
    for await (const chunk of response.body) chunks.push(chunk as Buffer)
    expect(sha(Buffer.concat(chunks))).toBe(sha(big))
  })

  it('completeBody(maxBytes) leaves a larger whole body to the stream, untouched', async () => {
    const response = await get('/short')
    expect(response.completeBody(4)).toBeUndefined()
    const chunks: Buffer[] = []
    for await (const chunk of response.body) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('hello')
  })

  it('a reset that came before anyone asked for the body still reaches an error listener', async () => {
    // node:http2's close() ends the stream before resetting it (the body is then whole): ours resets only.
    const cutter = createServer((_req, res) => {
      res.respond(200)
      res.write('part')
      setTimeout(() => res.reset(ErrorCode.INTERNAL_ERROR), 10)
    })
    const port = await cutter.listen(0)
    const client = await connect(`http://127.0.0.1:${port}`)
    try {
      const response = await client.request({ ':path': '/' }, { endStream: true }).response
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(response.completeBody()).toBeUndefined()
      const body = response.body
      const failure = await new Promise<Error>((resolve) => body.on('error', resolve).resume())
      expect(failure).toMatchObject({ code: ErrorCode.INTERNAL_ERROR })
    } finally {
      client.close()
      await cutter.close()
    }
  })
})
