// When the Node adapter writes what the engine queued: after each job ('microtask') or once per turn of the
// event loop ('immediate', the client's default), which lets streams started from separate events share a
// write (a proxy's upstream connection carries requests from many client connections).
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClientRequest, type ClientSession, connect, type SessionOptions } from '../src/node/index.js'

describe('flushTiming', () => {
  const server = http2.createServer()
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 })
    stream.end('ok')
  })
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  /** A connected session whose socket writes are counted from here on. */
  async function countingSession(
    options: SessionOptions,
  ): Promise<{ session: ClientSession; writes(): number }> {
    const session: ClientSession = await connect(url, options)
    await session.remoteSettings()
    // Let the SETTINGS acknowledgement go out first.
    await new Promise((resolve) => setTimeout(resolve, 20))
    let writes = 0
    const write = session.socket.write.bind(session.socket) as (chunk: Uint8Array) => boolean
    session.socket.write = ((chunk: Uint8Array) => {
      writes++
      return write(chunk)
    }) as typeof session.socket.write
    return { session, writes: () => writes }
  }

  /** Starts one request in each of two callbacks of the same turn; counts the socket writes. */
  async function writesForTwoEvents(options: SessionOptions): Promise<number> {
    const { session, writes } = await countingSession(options)
    const requests: ClientRequest[] = []
    await new Promise<void>((resolve) => {
      // Two immediates queued together run in one check phase, with microtasks run between them. (Two
      // timers need not: each setTimeout reads the clock, and a millisecond may pass between them.)
      setImmediate(() => requests.push(session.request({ ':path': '/a' }, { endStream: true })))
      setImmediate(() => {
        requests.push(session.request({ ':path': '/b' }, { endStream: true }))
        // An immediate queued by a running one waits for the next turn, after the session's own (queued by
        // the first request): this runs once that flush has happened.
        setImmediate(resolve)
      })
    })
    const counted = writes()
    const responses = await Promise.all(requests.map((r) => r.response))
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    for (const r of responses) r.body.resume()
    session.close()
    return counted
  }

  it('a client writes streams started by separate events of one loop turn together by default', async () => {
    expect(await writesForTwoEvents({})).toBe(1)
    expect(await writesForTwoEvents({ flushTiming: 'immediate' })).toBe(1)
  })

  it("'microtask' writes after each job instead", async () => {
    expect(await writesForTwoEvents({ flushTiming: 'microtask' })).toBe(2)
  })

  /** Starts `count` requests in one job; counts the socket writes made during the job and in all. */
  async function burst(count: number, options: SessionOptions): Promise<{ inJob: number; total: number }> {
    const { session, writes } = await countingSession(options)
    const requests: ClientRequest[] = []
    for (let i = 0; i < count; i++) requests.push(session.request({ ':path': `/${i}` }, { endStream: true }))
    const inJob = writes()
    await new Promise((resolve) => setImmediate(resolve))
    const total = writes()
    const responses = await Promise.all(requests.map((r) => r.response))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    for (const r of responses) r.body.resume()
    session.close()
    return { inJob, total }
  }

  it('a job that starts a burst of requests writes every burstLimit of them at once, the rest at the end of the turn', async () => {
    // 25 (the default) and 50 go out during the job; 51..60 with the turn's flush.
    expect(await burst(60, {})).toEqual({ inJob: 2, total: 3 })
    expect(await burst(60, { burstLimit: 20 })).toEqual({ inJob: 3, total: 3 })
    expect(await burst(60, { burstLimit: 0 })).toEqual({ inJob: 0, total: 1 })
    // Under the limit, nothing is written early.
    expect(await burst(24, {})).toEqual({ inJob: 0, total: 1 })
  })
})
