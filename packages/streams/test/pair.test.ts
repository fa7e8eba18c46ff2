// Two engines back to back: a client and a server talking through their pullOutbound/receive.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type ConnectionEvent, ErrorCode } from '../src/index.js'
import { pair } from './support/pair.js'

const get = (path: string): Array<[string, string]> => [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', path],
]
const post = (path: string): Array<[string, string]> => [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', path],
]
const ofType = <T extends ConnectionEvent['type']>(events: ConnectionEvent[], type: T) =>
  events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type)

function body(size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff
  return b
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('client and server engines back to back', () => {
  it('exchange SETTINGS and acknowledge them', () => {
    const p = pair()
    p.pump()
    expect(ofType(p.clientEvents, 'settingsAcknowledged')).toHaveLength(1)
    expect(ofType(p.serverEvents, 'settingsAcknowledged')).toHaveLength(1)
    expect(p.client.remoteSettings.maxConcurrentStreams).toBe(100)
    expect(p.server.remoteSettings.enablePush).toBe(false)
  })

  it('carry a GET and its response with a body', () => {
    const p = pair({}, {}, (e, server) => {
      if (e.type === 'headersReceived' && e.kind === 'request') {
        server.sendHeaders(e.streamId, [
          [':status', '200'],
          ['content-type', 'text/plain'],
        ])
        server.sendData(e.streamId, new TextEncoder().encode('hello'), { endStream: true })
      }
    })
    const id = p.client.request(get('/'), { endStream: true })
    p.pump()
    const [req] = ofType(p.serverEvents, 'headersReceived')
    expect(req?.request?.path).toBe('/')
    const [res] = ofType(p.clientEvents, 'headersReceived')
    expect(res?.streamId).toBe(id)
    expect(res?.response?.status).toBe(200)
    const data = ofType(p.clientEvents, 'dataReceived')
    expect(new TextDecoder().decode(data[0]!.data)).toBe('hello')
    expect(data.at(-1)!.endStream).toBe(true)
    expect(ofType(p.clientEvents, 'streamClosed').map((e) => e.streamId)).toEqual([id])
    expect(p.client.activeStreams).toBe(0)
    expect(p.server.activeStreams).toBe(0)
  })

  it.each([0, 1, 65535, 65536, 1 << 20])(
    'upload %i bytes through flow control, consumed as it arrives',
    (size) => {
      const received: Uint8Array[] = []
      const p = pair({}, {}, (e, server) => {
        if (e.type === 'dataReceived') {
          received.push(e.data.slice())
          server.consumed(e.streamId, e.data.length)
          if (e.endStream) server.sendHeaders(e.streamId, [[':status', '204']], { endStream: true })
        }
        if (e.type === 'headersReceived' && e.endStream)
          server.sendHeaders(e.streamId, [[':status', '204']], { endStream: true })
      })
      const id = p.client.request(post('/upload'))
      const data = body(size)
      p.client.sendData(id, data, { endStream: true })
      p.pump()
      const all = Buffer.concat(received)
      expect(all.length).toBe(size)
      expect(sha(all)).toBe(sha(data))
      expect(ofType(p.clientEvents, 'headersReceived')[0]?.response?.status).toBe(204)
    },
  )

  it('stalls when the receiver does not consume, and resumes when it does', () => {
    let serverId = 0
    const p = pair({}, {}, (e) => {
      if (e.type === 'headersReceived') serverId = e.streamId
    })
    const id = p.client.request(post('/slow'))
    p.client.sendData(id, body(200_000), { endStream: true })
    p.pump()
    const got = ofType(p.serverEvents, 'dataReceived').reduce((n, e) => n + e.data.length, 0)
    // The default stream window is 65,535 bytes: no more can arrive until the server consumes.
    expect(got).toBe(65535)
    expect(p.client.sendWindow(id)).toBe(0)
    p.server.consumed(serverId, got)
    p.pump()
    const after = ofType(p.serverEvents, 'dataReceived').reduce((n, e) => n + e.data.length, 0)
    expect(after).toBeGreaterThan(got)
  })

  it('refuses streams beyond SETTINGS_MAX_CONCURRENT_STREAMS by queueing them on the client', () => {
    const p = pair({}, { settings: { maxConcurrentStreams: 2 } })
    p.pump()
    const ids = [1, 2, 3].map(() => p.client.request(get('/')))
    p.pump()
    expect(ofType(p.serverEvents, 'headersReceived').map((e) => e.streamId)).toEqual([ids[0], ids[1]])
    p.server.sendHeaders(ids[0]!, [[':status', '200']], { endStream: true })
    p.client.resetStream(ids[0]!, ErrorCode.CANCEL)
    p.pump()
    expect(ofType(p.serverEvents, 'headersReceived').map((e) => e.streamId)).toEqual(ids)
  })

  it('a graceful shutdown lets the open stream finish, then both finish', () => {
    let requestId = 0
    const p = pair({}, {}, (e) => {
      if (e.type === 'headersReceived') requestId = e.streamId
    })
    p.client.request(get('/'), { endStream: true })
    p.pump()
    p.server.shutdown()
    p.pump()
    expect(ofType(p.clientEvents, 'goAwayReceived').map((e) => e.lastStreamId)).toEqual([2 ** 31 - 1, 1])
    expect(p.server.finished).toBe(false)
    p.server.sendHeaders(requestId, [[':status', '200']], { endStream: true })
    p.pump()
    expect(p.server.finished).toBe(true)
    expect(p.client.finished).toBe(true)
  })

  it('PING is answered and its round trip measured', () => {
    let t = 1000
    const p = pair({ now: () => t })
    p.pump()
    p.client.ping()
    t += 7
    p.pump()
    expect(ofType(p.clientEvents, 'pingAcknowledged')[0]?.rtt).toBe(7)
  })

  it('bytes a closed stream never had consumed are given back to the connection window', () => {
    // The server answers without reading the upload: 60,000 bytes per stream are never consumed.
    const p = pair({}, {}, (e, server) => {
      if (e.type === 'headersReceived' && e.kind === 'request') {
        server.sendHeaders(e.streamId, [[':status', '200']], { endStream: true })
      }
    })
    for (let i = 0; i < 5; i++) {
      const id = p.client.request(post('/ignored'))
      p.client.sendData(id, body(60_000), { endStream: true })
      p.pump()
    }
    // 300,000 bytes went through a 65,535-byte connection window: only possible if it was released.
    const got = ofType(p.serverEvents, 'dataReceived').reduce((n, e) => n + e.data.length, 0)
    expect(got).toBe(300_000)
    expect(ofType(p.clientEvents, 'headersReceived')).toHaveLength(5)
  })
})
