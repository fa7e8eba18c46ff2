// The Node adapter's timers: an idle connection is closed, keep-alive PINGs measure the round trip, and a
// peer that stops answering them is given up on.
import { once } from 'node:events'
import * as http2 from 'node:http2'
import * as net from 'node:net'
import { encodeFrame, FrameType } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { connect, createServer } from '../src/node/index.js'

describe('timeouts', () => {
  it('a server closes a connection that has had no stream for idleTimeout', async () => {
    const server = createServer({ idleTimeout: 150 }, (_req, res) =>
      res.respond(200, {}, { endStream: true }),
    )
    const port = await server.listen(0)
    const client = http2.connect(`http://127.0.0.1:${port}`)
    client.on('error', () => {})
    const goaway = once(client, 'goaway')
    const started = Date.now()
    await once(client, 'close')
    expect(Date.now() - started).toBeLessThan(3000)
    const [code] = (await goaway) as [number]
    expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR)
    await server.destroy()
  })

  it('keep-alive PINGs measure the round trip on a healthy connection', async () => {
    const server = http2.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    const session = await connect(`http://127.0.0.1:${port}`, { keepAliveInterval: 50 })
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(session.rtt).toBeDefined()
    expect(session.closed).toBe(false)
    session.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('a peer that stops answering PINGs is given up on', async () => {
    // A "server" that sends its SETTINGS and then never reads or writes again.
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => {
      sockets.push(socket)
      socket.write(encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] }))
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as net.AddressInfo
    const session = await connect(`http://127.0.0.1:${port}`, { keepAliveInterval: 100 })
    const started = Date.now()
    // (events.once would also listen for 'error', which the session then emits as well.)
    const error = await new Promise<Error | undefined>((resolve) => session.on('close', resolve))
    expect(Date.now() - started).toBeLessThan(3000)
    expect(error?.message).toMatch(/PING not answered/)
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })
})
