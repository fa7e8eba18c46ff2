// Bytes that are not HTTP/2 end the connection (GOAWAY where the RFC asks for one) without disturbing
// the server: no exception escapes, and other connections keep being served.
import { randomBytes } from 'node:crypto'
import * as http2 from 'node:http2'
import * as net from 'node:net'
import { decodeFrames, ErrorCode, type Frame, FrameType, isFrameError } from '@h2ts/frames'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from '../src/node/index.js'

const server = createServer((_req, res) => {
  res.respond(200)
  res.end('ok')
})
let port = 0
beforeAll(async () => {
  port = await server.listen(0)
})
afterAll(() => server.destroy())

/** Sends bytes on a raw connection and collects what comes back until the server closes it. */
function exchange(bytes: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the server did not close the connection within 2 s'))
    }, 2000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

async function stillServes(): Promise<void> {
  const client = http2.connect(`http://127.0.0.1:${port}`)
  try {
    const req = client.request({ ':path': '/' })
    req.end()
    const status = await new Promise((resolve, reject) => {
      req.on('response', (h) => resolve(h[':status']))
      req.on('error', reject)
    })
    expect(status).toBe(200)
  } finally {
    client.close()
  }
}

/** The frames of a reply (our server only ever sends well-formed frames). */
function framesOf(reply: Buffer): Frame[] {
  return decodeFrames(new Uint8Array(reply)).filter((f): f is Frame => !isFrameError(f))
}

function goAwayCode(reply: Buffer): number | undefined {
  const frames = framesOf(reply)
  const goaway = frames.find((f) => f.type === FrameType.GOAWAY) as { errorCode: number } | undefined
  return goaway?.errorCode
}

describe('bytes that are not HTTP/2', () => {
  it('an HTTP/1.1 request gets GOAWAY PROTOCOL_ERROR and a closed connection', async () => {
    const reply = await exchange(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    expect(goAwayCode(reply)).toBe(ErrorCode.PROTOCOL_ERROR)
    await stillServes()
  })

  it('a TLS ClientHello on the cleartext port is closed the same way', async () => {
    const hello = Uint8Array.of(
      0x16,
      0x03,
      0x01,
      0x00,
      0xa5,
      0x01,
      0x00,
      0x00,
      0xa1,
      0x03,
      0x03,
      ...randomBytes(40),
    )
    expect(goAwayCode(await exchange(hello))).toBe(ErrorCode.PROTOCOL_ERROR)
    await stillServes()
  })

  it('junk after a valid preface: our SETTINGS, then GOAWAY, then the connection closes', async () => {
    const preface = new TextEncoder().encode('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
    let x = 0x2545f491 // a fixed xorshift seed: the same junk every run
    for (let i = 0; i < 20; i++) {
      const junk = Uint8Array.from({ length: 64 + i * 37 }, () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return x & 0xff
      })
      const frames = framesOf(await exchange(Uint8Array.from([...preface, ...junk])))
      expect(frames[0]?.type, `case ${i}`).toBe(FrameType.SETTINGS)
      expect(frames.at(-1)?.type, `case ${i}`).toBe(FrameType.GOAWAY)
    }
    await stillServes()
  })
})
