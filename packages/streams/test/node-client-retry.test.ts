// RFC 9113 §8.7: our client tells the caller which requests the server did not process (REFUSED_STREAM,
// or above the last stream id of a GOAWAY), so they can be retried safely; the others are not retryable.
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode, isStreamError } from '../src/index.js'
import { connect, type RequestError } from '../src/node/index.js'

let server: http2.Http2Server | undefined
const sessions = new Set<http2.ServerHttp2Session>()
afterEach(() => {
  // node:http2 keeps a session whose peer went away while it still holds unanswered streams.
  for (const s of sessions) s.destroy()
  sessions.clear()
  return new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
})

async function listen(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
) {
  server = http2.createServer()
  server.on('stream', onStream)
  server.on('session', (s) => {
    sessions.add(s)
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: RequestError) =>
      isStreamError(e) ? `${e.codeName}${e.retryable === true ? ' retryable' : ''}` : String(e),
  )

describe('our client and unprocessed requests', () => {
  it('REFUSED_STREAM rejects the request as retryable; CANCEL does not', async () => {
    const origin = await listen((stream, headers) => {
      stream.on('error', () => {})
      if (headers[':path'] === '/refuse') stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
      else if (headers[':path'] === '/cancel') stream.close(http2.constants.NGHTTP2_CANCEL)
      else stream.respond({ ':status': 200 }, { endStream: true })
    })
    const session = await connect(origin)
    const refused = session.request({ ':path': '/refuse' }, { endStream: true }).response
    const cancelled = session.request({ ':path': '/cancel' }, { endStream: true }).response
    const fine = session.request({ ':path': '/ok' }, { endStream: true }).response
    expect(await outcome(refused)).toBe('REFUSED_STREAM retryable')
    expect(await outcome(cancelled)).toBe('CANCEL')
    expect(await outcome(fine)).toBe('ok')
    session.close()
  })

  it('GOAWAY: streams above its last stream id reject as retryable, the rest complete', async () => {
    const pending: http2.ServerHttp2Stream[] = []
    const origin = await listen((stream) => {
      stream.on('error', () => {})
      pending.push(stream)
      if (pending.length === 3) {
        // Process stream 1 only: GOAWAY names it as the last.
        stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1)
        pending[0]!.respond({ ':status': 200 }, { endStream: true })
      }
    })
    const session = await connect(origin)
    const goaways: Array<[number, number]> = []
    session.on('goaway', (code: number, last: number) => goaways.push([code, last]))
    const results = await Promise.all(
      [1, 2, 3].map(() => outcome(session.request({ ':path': '/' }, { endStream: true }).response)),
    )
    expect(results).toEqual(['ok', 'REFUSED_STREAM retryable', 'REFUSED_STREAM retryable'])
    expect(goaways).toEqual([[ErrorCode.NO_ERROR, 1]])
    // No new streams on a connection that is going away.
    expect(() => session.request({ ':path': '/' })).toThrow(/going away|finished/)
    // …and it closes once nothing is left to write (within the turn: the client writes once per turn).
    if (!session.closed) await new Promise((resolve) => session.once('close', resolve))
    expect(session.closed).toBe(true)
  })
})
