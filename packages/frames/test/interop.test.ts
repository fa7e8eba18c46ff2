/**
 * A real exchange: a node:http2 client and server talk through a TCP relay on 127.0.0.1 that records the bytes
 * of each direction, as they arrived. Our decoder then parses both directions (the server side validating the
 * client preface) into the frames node sent.
 */
import { once } from 'node:events'
import http2 from 'node:http2'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  type DataFrame,
  Flags,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
  FrameType,
  isFrameError,
  type PingFrame,
  SettingId,
  type SettingsFrame,
} from '../src/index.js'

interface Recording {
  toServer: Buffer[]
  toClient: Buffer[]
}

const PING_PAYLOAD = Buffer.from('h2ts-ping')
const SMALL_BODY = 'hello, frames'
const LARGE_BODY = Buffer.alloc(50_000, 0x61)

async function exchange(): Promise<{ recording: Recording; pingPayload: Buffer }> {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 77, initialWindowSize: 123_456 } })
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      const path = headers[':path']
      const body = path === '/large' ? LARGE_BODY : Buffer.concat([Buffer.from(`${path}:`), ...chunks])
      stream.respond({ ':status': 200, 'content-type': 'text/plain' })
      stream.end(body)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const serverPort = (server.address() as net.AddressInfo).port

  const recording: Recording = { toServer: [], toClient: [] }
  const relaySockets: net.Socket[] = []
  const relay = net.createServer((down) => {
    const up = net.connect(serverPort, '127.0.0.1')
    relaySockets.push(down, up)
    down.on('data', (c: Buffer) => {
      recording.toServer.push(Buffer.from(c))
      up.write(c)
    })
    up.on('data', (c: Buffer) => {
      recording.toClient.push(Buffer.from(c))
      down.write(c)
    })
    down.on('end', () => up.end())
    up.on('end', () => down.end())
    down.on('error', () => up.destroy())
    up.on('error', () => down.destroy())
  })
  relay.listen(0, '127.0.0.1')
  await once(relay, 'listening')
  const relayPort = (relay.address() as net.AddressInfo).port

  const client = http2.connect(`http://127.0.0.1:${relayPort}`, {
    settings: { enablePush: false, initialWindowSize: 200_000, headerTableSize: 8192 },
  })
  // Bounded in time: if the session stalls, tear everything down so the awaits below fail instead of hanging.
  const watchdog = setTimeout(() => {
    client.destroy(new Error('interop exchange timed out'))
    for (const s of relaySockets) s.destroy()
  }, 10_000)
  try {
    await once(client, 'remoteSettings')
    const pingPayload = Buffer.from(PING_PAYLOAD.subarray(0, 8))
    await new Promise<void>((resolve, reject) =>
      client.ping(pingPayload, (err, _duration, payload) => {
        if (err) reject(err)
        else if (!payload.equals(pingPayload)) reject(new Error('ping payload differs'))
        else resolve()
      }),
    )
    const request = (path: string, body?: string) =>
      new Promise<Buffer>((resolve, reject) => {
        const req = client.request({ ':method': body === undefined ? 'GET' : 'POST', ':path': path })
        const parts: Buffer[] = []
        req.on('data', (c: Buffer) => parts.push(c))
        req.on('end', () => resolve(Buffer.concat(parts)))
        req.on('error', reject)
        if (body === undefined) req.end()
        else req.end(body)
      })
    const [a, b, c] = await Promise.all([request('/a'), request('/echo', SMALL_BODY), request('/large')])
    expect(a.toString()).toBe('/a:')
    expect(b.toString()).toBe(`/echo:${SMALL_BODY}`)
    expect(c.equals(LARGE_BODY)).toBe(true)
    return { recording, pingPayload }
  } finally {
    clearTimeout(watchdog)
    client.close()
    await once(client, 'close')
    await new Promise((r) => server.close(r))
    for (const s of relaySockets) s.destroy()
    await new Promise((r) => relay.close(r))
  }
}

function decodeAll(chunks: Buffer[], options: FrameDecoderOptions): Frame[] {
  const decoder = new FrameDecoder(options)
  const frames: Frame[] = []
  for (const chunk of chunks) {
    for (const item of decoder.push(chunk)) {
      if (isFrameError(item)) throw item
      // Views are only valid until the next push: keep copies of byte fields for the assertions.
      frames.push('data' in item ? { ...item, data: item.data.slice() } : item)
    }
  }
  expect(decoder.bufferedBytes).toBe(0)
  return frames
}

function bodyOf(frames: Frame[], streamId: number): Buffer {
  return Buffer.concat(
    frames
      .filter((f): f is DataFrame => f.type === FrameType.DATA && f.streamId === streamId)
      .map((f) => f.data),
  )
}

describe('interop: the frames node:http2 sends', () => {
  it('parses both directions of a recorded session', { timeout: 15_000 }, async () => {
    const { recording, pingPayload } = await exchange()

    // Client to server: preface, SETTINGS, then frames.
    const up = decodeAll(recording.toServer, { preface: 'client' })
    const clientSettings = up[0] as SettingsFrame
    expect(clientSettings.type).toBe(FrameType.SETTINGS)
    expect(clientSettings.flags & Flags.ACK).toBe(0)
    expect(clientSettings.settings).toEqual(
      expect.arrayContaining([
        { id: SettingId.ENABLE_PUSH, value: 0 },
        { id: SettingId.INITIAL_WINDOW_SIZE, value: 200_000 },
        { id: SettingId.HEADER_TABLE_SIZE, value: 8192 },
      ]),
    )
    const ping = up.find((f): f is PingFrame => f.type === FrameType.PING && (f.flags & Flags.ACK) === 0)
    expect(ping && Buffer.from(ping.data).equals(pingPayload)).toBe(true)
    expect(up.some((f) => f.type === FrameType.SETTINGS && f.flags === Flags.ACK)).toBe(true)
    const requests = up.filter((f) => f.type === FrameType.HEADERS)
    expect(requests.map((f) => f.streamId)).toEqual([1, 3, 5])
    expect(requests.every((f) => (f.flags & Flags.END_HEADERS) !== 0)).toBe(true)
    // The GET ends its stream on HEADERS; the POST ends it on its last DATA frame.
    const getStream = requests.find((f) => (f.flags & Flags.END_STREAM) !== 0)
    expect(getStream).toBeDefined()
    const postStream = requests.find((f) => bodyOf(up, f.streamId).toString() === SMALL_BODY)
    expect(postStream).toBeDefined()
    const postData = up.filter((f) => f.type === FrameType.DATA && f.streamId === postStream!.streamId)
    expect(postData.at(-1)!.flags & Flags.END_STREAM).toBe(Flags.END_STREAM)

    // Server to client: SETTINGS first (the server preface), then frames.
    const down = decodeAll(recording.toClient, { preface: 'server' })
    const serverSettings = down[0] as SettingsFrame
    expect(serverSettings.type).toBe(FrameType.SETTINGS)
    expect(serverSettings.settings).toEqual(
      expect.arrayContaining([
        { id: SettingId.MAX_CONCURRENT_STREAMS, value: 77 },
        { id: SettingId.INITIAL_WINDOW_SIZE, value: 123_456 },
      ]),
    )
    const pingAck = down.find((f): f is PingFrame => f.type === FrameType.PING && f.flags === Flags.ACK)
    expect(pingAck && Buffer.from(pingAck.data).equals(pingPayload)).toBe(true)
    expect(down.some((f) => f.type === FrameType.SETTINGS && f.flags === Flags.ACK)).toBe(true)
    const responses = down.filter((f) => f.type === FrameType.HEADERS)
    expect(responses.map((f) => f.streamId).sort()).toEqual([1, 3, 5])
    const bodies = [1, 3, 5].map((id) => bodyOf(down, id))
    expect(bodies.map((b) => b.toString()).sort()).toEqual(
      ['/a:', `/echo:${SMALL_BODY}`, LARGE_BODY.toString()].sort(),
    )
    // The large body came in several DATA frames, each within the default SETTINGS_MAX_FRAME_SIZE.
    const largeId = [1, 3, 5][bodies.findIndex((b) => b.length === LARGE_BODY.length)]!
    const largeFrames = down.filter(
      (f): f is DataFrame => f.type === FrameType.DATA && f.streamId === largeId,
    )
    expect(largeFrames.length).toBeGreaterThan(3)
    expect(largeFrames.every((f) => f.data.length <= 16_384)).toBe(true)
    expect(largeFrames.at(-1)!.flags & Flags.END_STREAM).toBe(Flags.END_STREAM)
    // The client's 200000-octet window let the server send the whole 50000-octet body without waiting, but the
    // client still tops up windows: WINDOW_UPDATE frames went up.
    expect(up.some((f) => f.type === FrameType.WINDOW_UPDATE)).toBe(true)
  })
})
