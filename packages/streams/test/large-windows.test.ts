// 100 MiB both ways with large flow-control windows (8 MiB streams, 32 MiB connection) on both sides,
// checked by SHA-256: our server with a node:http2 client, and our client with a node:http2 server.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { connect, createServer } from '../src/node/index.js'

const SIZE = 100 * 1024 * 1024
const STREAM_WINDOW = 8 * 1024 * 1024
const CONNECTION_WINDOW = 32 * 1024 * 1024
const windows = { settings: { initialWindowSize: STREAM_WINDOW }, connectionWindowSize: CONNECTION_WINDOW }

const chunk = Buffer.alloc(1024 * 1024)
for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24
/** SHA-256 of SIZE bytes made of `chunk` with its first byte set to the chunk number. */
const expected = (() => {
  const h = createHash('sha256')
  for (let n = 0; n < SIZE / chunk.length; n++) {
    chunk[0] = n & 0xff
    h.update(chunk)
  }
  return h.digest('hex')
})()

async function writeBody(w: NodeJS.WritableStream & { write(b: Buffer): boolean; end(): void }) {
  for (let n = 0; n < SIZE / chunk.length; n++) {
    const c = Buffer.from(chunk)
    c[0] = n & 0xff
    if (!w.write(c)) await once(w, 'drain')
  }
  w.end()
}

async function hash(body: AsyncIterable<Uint8Array>): Promise<{ sha: string; bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  for await (const c of body) {
    h.update(c)
    bytes += c.length
  }
  return { sha: h.digest('hex'), bytes }
}

describe('large windows, 100 MiB each way', () => {
  it('our server: upload and download with a node:http2 client', async () => {
    const server = createServer({ connection: windows }, async (req, res) => {
      if (req.method === 'POST') {
        const got = await hash(req.body)
        res.respond(200, { 'x-sha256': got.sha, 'x-bytes': got.bytes })
        res.end()
      } else {
        res.respond(200)
        await writeBody(res)
      }
    })
    const port = await server.listen(0)
    const client = http2.connect(`http://127.0.0.1:${port}`, {
      settings: { initialWindowSize: STREAM_WINDOW },
    })
    client.on('connect', () => client.setLocalWindowSize(CONNECTION_WINDOW))
    try {
      const up = client.request({ ':method': 'POST', ':path': '/up' })
      const upResponse = once(up, 'response')
      await writeBody(up)
      const [headers] = (await upResponse) as [http2.IncomingHttpHeaders]
      up.resume()
      expect(headers['x-sha256']).toBe(expected)
      expect(headers['x-bytes']).toBe(String(SIZE))
      const down = client.request({ ':path': '/down' })
      down.end()
      expect(await hash(down)).toEqual({ sha: expected, bytes: SIZE })
    } finally {
      client.close()
      await server.destroy()
    }
  }, 60_000)

  it('our client: upload and download with a node:http2 server', async () => {
    const server = http2.createServer({ settings: { initialWindowSize: STREAM_WINDOW } })
    server.on('session', (s) => s.setLocalWindowSize(CONNECTION_WINDOW))
    server.on('stream', async (stream, headers) => {
      stream.on('error', () => {})
      if (headers[':method'] === 'POST') {
        const got = await hash(stream)
        stream.respond({ ':status': 200, 'x-sha256': got.sha, 'x-bytes': got.bytes })
        stream.end()
      } else {
        stream.respond({ ':status': 200 })
        await writeBody(stream)
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const session = await connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      connection: windows,
    })
    try {
      const up = session.request({ ':method': 'POST', ':path': '/up' })
      await writeBody(up)
      const upResponse = await up.response
      expect(upResponse.headers['x-sha256']).toBe(expected)
      expect(upResponse.headers['x-bytes']).toBe(String(SIZE))
      upResponse.body.resume()
      const down = await session.request({ ':path': '/down' }, { endStream: true }).response
      expect(await hash(down.body)).toEqual({ sha: expected, bytes: SIZE })
    } finally {
      session.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }, 60_000)
})
