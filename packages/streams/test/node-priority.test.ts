// The Node adapter's priority and cancellation surface: `ServerResponse.prioritize` reorders a
// response on the connection, and `ClientRequest.reset` settles a response still awaited.
import { ErrorCode } from '@h2ts/frames'
import { afterEach, describe, expect, it } from 'vitest'
import { isStreamError } from '../src/index.js'
import { type ClientSession, connect, createServer, type Http2Server } from '../src/node/index.js'

const MiB = 1 << 20
let server: Http2Server | undefined
let client: ClientSession | undefined
afterEach(async () => {
  client?.destroy()
  await server?.destroy()
  server = client = undefined
})

describe('ServerResponse.prioritize', () => {
  it('moves a response ahead of a large one already streaming (RFC 9218 urgency)', async () => {
    let afterEnd: (() => void) | undefined
    server = createServer({ connection: { priorities: 'rfc9218' } }, async (req, res) => {
      const total = req.path === '/big' ? 8 * MiB : MiB
      res.respond(200, { 'content-length': String(total) })
      if (req.path === '/urgent') res.prioritize({ scheme: 'rfc9218', urgency: 0, incremental: false })
      const chunk = new Uint8Array(64 * 1024)
      for (let sent = 0; sent < total && !res.destroyed; sent += chunk.length) {
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done)
              res.off('close', done)
              resolve()
            }
            res.on('drain', done)
            res.on('close', done)
          })
        }
      }
      res.end()
      if (req.path === '/urgent') {
        // Once the stream is over, prioritize does nothing (and does not throw).
        res.once('close', () => {
          res.prioritize({ scheme: 'rfc9218', urgency: 1, incremental: false })
          afterEnd?.()
        })
      }
    })
    const port = await server.listen(0)
    // A 64 KiB connection window and large stream windows: the connection is what the two share.
    client = await connect(`http://127.0.0.1:${port}`, {
      connection: { settings: { initialWindowSize: 16 * MiB } },
    })
    let background = 0
    const big = await client.request({ ':path': '/big' }, { endStream: true }).response
    const bigDone = new Promise<void>((resolve) => {
      big.body.on('end', resolve)
    })
    let flowing: () => void
    const started = new Promise<void>((resolve) => {
      flowing = resolve
    })
    big.body.on('data', (chunk: Buffer) => {
      background += chunk.length
      if (background >= 256 * 1024) flowing()
    })
    await started
    const closed = new Promise<void>((resolve) => {
      afterEnd = resolve
    })
    const urgent = await client.request({ ':path': '/urgent' }, { endStream: true }).response
    let got = 0
    let atFirst = -1
    let atEnd = -1
    await new Promise<void>((resolve) => {
      urgent.body.on('data', (chunk: Buffer) => {
        if (atFirst < 0) atFirst = background
        got += chunk.length
        if (got === MiB) atEnd = background
      })
      urgent.body.on('end', resolve)
    })
    await bigDone
    await closed
    expect(got).toBe(MiB)
    expect(background).toBe(8 * MiB)
    // Unprioritised, the urgent response would either wait for the whole background one (same urgency:
    // lowest stream id first) or, in turn, let about 1 MiB of it through meanwhile.
    expect(atEnd).toBeLessThan(4 * MiB)
    expect(atEnd - atFirst).toBeLessThan(MiB / 2)
  })
})

describe('ClientRequest.reset', () => {
  it('rejects a response still awaited with the reset code, and the server sees the reset', async () => {
    let serverSaw: number | undefined
    const seen = new Promise<void>((resolve) => {
      server = createServer(async (req) => {
        await new Promise<void>((done) => req.signal.addEventListener('abort', () => done()))
        serverSaw = req.resetError?.code
        resolve()
      })
    })
    const port = await server!.listen(0)
    client = await connect(`http://127.0.0.1:${port}`)
    const request = client.request({ ':path': '/never' }, { endStream: true })
    await new Promise((resolve) => setTimeout(resolve, 20))
    request.reset(ErrorCode.CANCEL)
    const error = await request.response.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isStreamError(error) && error.code === ErrorCode.CANCEL && error.origin === 'local').toBe(true)
    await seen
    expect(serverSaw).toBe(ErrorCode.CANCEL)
  })
})
