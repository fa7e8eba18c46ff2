// The application's default priority for requests that carry none (the `defaultPriority` option, used by
// the gateway for a route's urgency): it applies only when the client said nothing. Its `priority` header
// and its PRIORITY_UPDATE frames, sent before or right after the request (RFC 9218 §7.1), win.
import { type DataFrame, FrameType } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import type { RequestHead, Rfc9218Priority } from '../../src/index.js'
import {
  framesOf,
  headers,
  type PeerOptions,
  type ReadFrame,
  raw,
  serverUnderTest,
} from '../support/frames.js'

const dataOrder = (frames: ReadFrame[]) =>
  framesOf<DataFrame>(frames, FrameType.DATA)
    .filter((f) => f.data.length > 0)
    .map((f) => f.streamId)

function priorityUpdate(prioritizedStreamId: number, fieldValue: string) {
  const bytes = Uint8Array.from(fieldValue, (c) => c.charCodeAt(0))
  const payload = new Uint8Array(4 + bytes.length)
  new DataView(payload.buffer).setUint32(0, prioritizedStreamId)
  payload.set(bytes, 4)
  return raw(FrameType.PRIORITY_UPDATE, 0, 0, payload)
}

/** Requests to /urgent get u=0 by default, everything else u=7. */
const byPath = (request: RequestHead): Rfc9218Priority => ({
  scheme: 'rfc9218',
  urgency: request.path === '/urgent' ? 0 : 7,
  incremental: false,
})

function server(options: PeerOptions = {}) {
  const t = serverUnderTest({
    priorities: 'rfc9218',
    defaultPriority: byPath,
    ...options,
    peerSettings: { initialWindowSize: 1 << 24 },
  })
  const respond = (id: number, size = 100_000) => {
    t.conn.sendHeaders(id, [[':status', '200']])
    t.conn.sendData(id, new Uint8Array(size), { endStream: true })
  }
  return { t, respond }
}

describe('defaultPriority (server)', () => {
  it('orders requests that carry no priority signal', () => {
    const { t, respond } = server()
    t.send(headers(1).request('GET', '/background').eos())
    t.send(headers(3).request('GET', '/urgent').eos())
    respond(1)
    respond(3)
    // The 65,535-byte connection window all goes to the urgent stream.
    expect(new Set(dataOrder(t.read()))).toEqual(new Set([3]))
  })

  it('is passed the validated request', () => {
    const seen: Array<string | undefined> = []
    const { t } = server({
      defaultPriority: (request) => {
        seen.push(`${request.method} ${request.authority} ${request.path}`)
        return undefined
      },
    })
    t.send(headers(1).request('GET', '/x').eos())
    expect(seen).toEqual([expect.stringMatching(/^GET \S+ \/x$/)])
  })

  it('the client’s priority header wins over it', () => {
    const { t, respond } = server()
    t.send(
      headers(1)
        .request('GET', '/background', [['priority', 'u=0']])
        .eos(),
    )
    t.send(headers(3).request('GET', '/urgent').eos())
    respond(1)
    respond(3)
    expect(dataOrder(t.read())[0]).toBe(1)
  })

  it('a malformed priority header says nothing (RFC 9218 §4): the default applies', () => {
    const { t, respond } = server()
    t.send(
      headers(1)
        .request('GET', '/background', [['priority', 'u=0,']])
        .eos(),
    )
    t.send(headers(3).request('GET', '/urgent').eos())
    respond(1)
    respond(3)
    expect(new Set(dataOrder(t.read()))).toEqual(new Set([3]))
  })

  it('a PRIORITY_UPDATE before the request, or right after it in the same read, wins (RFC 9218 §7.1)', () => {
    const { t, respond } = server()
    t.send(priorityUpdate(1, 'u=0'))
    t.send(headers(1).request('GET', '/background').eos())
    t.send(headers(3).request('GET', '/background').eos())
    t.send(headers(5).request('GET', '/background').eos(), priorityUpdate(5, 'u=0'))
    respond(1, 20_000)
    respond(3)
    respond(5)
    // 1 (u=0 by its early update) is served first, then 5 (u=0 by the update that followed its HEADERS);
    // 3 (u=7 by default) gets nothing of the window.
    const order = dataOrder(t.read())
    expect(order[0]).toBe(1)
    expect(order).toContain(5)
    expect(order).not.toContain(3)
  })

  it('an urgency out of 0..7 is ignored', () => {
    const { t, respond } = server({
      defaultPriority: (request) => ({
        scheme: 'rfc9218',
        urgency: request.path === '/a' ? 9 : 2,
        incremental: false,
      }),
    })
    t.send(headers(1).request('GET', '/a').eos())
    t.send(headers(3).request('GET', '/b').eos())
    respond(1)
    respond(3)
    // /a keeps the default urgency 3; /b (u=2) goes first.
    expect(dataOrder(t.read())[0]).toBe(3)
  })

  it('is ignored by the RFC 7540 tree', () => {
    const { t, respond } = server({ priorities: 'rfc7540' })
    t.send(headers(1).request('GET', '/background').eos())
    t.send(headers(3).request('GET', '/urgent').eos())
    respond(1)
    respond(3)
    // Equal weights: the two share the window.
    expect(new Set(dataOrder(t.read()))).toEqual(new Set([1, 3]))
  })
})
