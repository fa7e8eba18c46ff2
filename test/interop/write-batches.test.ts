// How our server hands a large response to the socket: in one batch (one cork/uncork, one writev) on
// cleartext, where fewer syscalls win, and in batches of at most 64 KiB over TLS, where node's TLS socket
// copies and encrypts each write whole (see PULL_BUDGET in packages/streams/src/node/session.ts). The client
// is node:http2 with windows large enough that flow control never splits the response.
import { once } from 'node:events'
import * as http2 from 'node:http2'
import type { Socket } from 'node:net'
import { createServer, type Http2Server } from '@h2ts/streams/node'
import { afterEach, describe, expect, it } from 'vitest'
import { selfSignedCert } from '../support/peers.js'

const MiB = 1024 * 1024
const body = Buffer.alloc(MiB, 'x')
const WINDOW = 16 * MiB

/** Bytes written between successive uncork() calls (or single uncorked writes) on the server's socket. */
function recordBatches(socket: Socket): number[] {
  const batches: number[] = []
  let corked = 0
  let pending = 0
  const { write, cork, uncork } = socket
  socket.cork = function (this: Socket) {
    corked++
    cork.call(this)
  }
  socket.uncork = function (this: Socket) {
    uncork.call(this)
    if (--corked === 0 && pending > 0) {
      batches.push(pending)
      pending = 0
    }
  }
  socket.write = function (this: Socket, chunk: Uint8Array, ...rest: unknown[]) {
    if (corked > 0) pending += chunk.length
    else batches.push(chunk.length)
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
  } as Socket['write']
  return batches
}

describe('write batches of a 1 MiB response', () => {
  let server: Http2Server | undefined
  let client: http2.ClientHttp2Session | undefined
  afterEach(async () => {
    client?.destroy()
    await server?.destroy()
  })

  async function download(tls: boolean): Promise<{ batches: number[]; received: number }> {
    let batches: number[] = []
    server = createServer(tls ? { tls: await selfSignedCert() } : {}, (req, res) => {
      batches = recordBatches(req.session.socket)
      res.respond(200, { 'content-length': body.length })
      res.end(body)
    })
    const port = await server.listen(0)
    client = http2.connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
      rejectUnauthorized: false,
      settings: { initialWindowSize: WINDOW },
    })
    await once(client, 'connect')
    client.setLocalWindowSize(WINDOW)
    const stream = client.request({ ':path': '/' }, { endStream: true })
    let received = 0
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve)
      stream.on('error', reject)
    })
    return { batches, received }
  }

  it('cleartext: the whole response in one batch', async () => {
    const { batches, received } = await download(false)
    expect(received).toBe(MiB)
    // HEADERS, 64 DATA frame headers and the payload, all in the batch that starts the response.
    expect(Math.max(...batches)).toBeGreaterThanOrEqual(MiB)
  })

  it('TLS: batches of at most 64 KiB (plus frame headers)', async () => {
    const { batches, received } = await download(true)
    expect(received).toBe(MiB)
    const total = batches.reduce((a, b) => a + b, 0)
    expect(total).toBeGreaterThanOrEqual(MiB)
    // 64 KiB of payload is four 16 KiB DATA frames (9-byte headers), plus the HEADERS frame in the first.
    expect(Math.max(...batches)).toBeLessThanOrEqual(64 * 1024 + 4 * 9 + 64)
    expect(batches.length).toBeGreaterThanOrEqual(16)
  })
})
