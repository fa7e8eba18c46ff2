// A peer may reset a stream at any moment. The handler learns it through `request.signal` and
// `request.resetError`; nothing it did not ask for may throw. Before, a reset destroyed the response and
// the body with an 'error' event nobody listened for: one RST_STREAM ended the server process.
import * as net from 'node:net'
import { clientPreface, ErrorCode, encodeFrame, Flags, FrameType } from '@h2ts/frames'
import { Encoder } from '@h2ts/hpack'
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, type Http2Server, type ServerRequest } from '../src/node/index.js'

let server: Http2Server | undefined
afterEach(async () => {
  await server?.destroy()
  server = undefined
})

async function resetAfterRequest(port: number, withBody: boolean): Promise<void> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.on('data', () => {})
  const hpack = new Encoder()
  const block = hpack.encode([
    [':method', withBody ? 'POST' : 'GET'],
    [':scheme', 'http'],
    [':authority', 'x'],
    [':path', '/'],
  ])
  const frames = [
    clientPreface(),
    encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] }),
    encodeFrame({
      type: FrameType.HEADERS,
      flags: Flags.END_HEADERS | (withBody ? 0 : Flags.END_STREAM),
      streamId: 1,
      fragment: block,
    }),
  ]
  if (withBody)
    frames.push(encodeFrame({ type: FrameType.DATA, flags: 0, streamId: 1, data: Uint8Array.of(1, 2, 3) }))
  socket.write(Buffer.concat(frames))
  await new Promise((resolve) => setTimeout(resolve, 20))
  socket.write(
    encodeFrame({ type: FrameType.RST_STREAM, flags: 0, streamId: 1, errorCode: ErrorCode.CANCEL }),
  )
  await new Promise((resolve) => setTimeout(resolve, 50))
  socket.destroy()
}

describe('a reset in the middle of a handler', () => {
  for (const withBody of [false, true]) {
    it(`${withBody ? 'with a body being read' : 'without a body'}: the signal aborts, nothing throws, a late answer is ignored`, async () => {
      const seen: ServerRequest[] = []
      let lateAnswer: unknown = 'not yet'
      const finished = new Promise<void>((resolve) => {
        server = createServer(async (req, res) => {
          seen.push(req)
          if (withBody) req.body.resume() // reading, without an 'error' listener of its own
          res.write('partial') // the response is under way, with no 'error' listener either
          await new Promise((r) => req.signal.addEventListener('abort', r))
          try {
            res.respond(200)
            res.end('too late')
            lateAnswer = 'ignored'
          } catch (error) {
            lateAnswer = error
          }
          resolve()
        })
      })
      const port = await server!.listen(0)
      await resetAfterRequest(port, withBody)
      await finished
      expect(seen).toHaveLength(1)
      expect(seen[0]!.signal.aborted).toBe(true)
      expect(seen[0]!.resetError?.code).toBe(ErrorCode.CANCEL)
      expect(lateAnswer).toBe('ignored')
    })
  }
})
