// Priorities on the wire: which stream's DATA leaves first when the connection window is the bottleneck,
// with RFC 9218 urgencies (the `priority` header, PRIORITY_UPDATE) and the RFC 7540 tree (weights,
// reprioritisation by PRIORITY and HEADERS), how SETTINGS_NO_RFC7540_PRIORITIES picks between them (RFC 9218
// §2.1), and the errors around them.
import {
  type DataFrame,
  ErrorCode,
  FrameType,
  type PriorityFrame,
  type PriorityUpdateFrame,
  SettingId,
} from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { Rfc7540Scheduler } from '../../src/index.js'
import {
  clientUnderTest,
  framesOf,
  headers,
  type PeerOptions,
  priority,
  type ReadFrame,
  raw,
  serverUnderTest,
  settings,
  type TestPeer,
  windowUpdate,
} from '../support/frames.js'

const FRAME = 16384
const BIG = 1 << 24

/** The stream id of each DATA frame with a payload, in wire order. */
const dataOrder = (frames: ReadFrame[]) =>
  framesOf<DataFrame>(frames, FrameType.DATA)
    .filter((f) => f.data.length > 0)
    .map((f) => f.streamId)

const bytesBy = (frames: ReadFrame[]) => {
  const out = new Map<number, number>()
  for (const f of framesOf<DataFrame>(frames, FrameType.DATA))
    out.set(f.streamId, (out.get(f.streamId) ?? 0) + f.data.length)
  return out
}

/**
 * A server whose peer gives every stream a large window: only the connection window (65,535 until the
 * peer sends WINDOW_UPDATE on stream 0) holds DATA back.
 */
function server(options: PeerOptions = {}): TestPeer {
  return serverUnderTest({ ...options, peerSettings: { initialWindowSize: BIG, ...options.peerSettings } })
}

/** Stream `id` answers with `size` bytes. */
function respond(t: TestPeer, id: number, size: number): void {
  t.conn.sendHeaders(id, [[':status', '200']])
  t.conn.sendData(id, new Uint8Array(size), { endStream: true })
}

/** Frees `frames` full DATA frames of connection window. */
const grant = (t: TestPeer, frames: number) => t.send(windowUpdate(0, frames * FRAME))

describe('RFC 9218 urgencies on the wire', () => {
  for (const [label, options] of [
    ['priorities: rfc9218', { priorities: 'rfc9218' }],
    [
      'auto, the client sent SETTINGS_NO_RFC7540_PRIORITIES = 1',
      { peerSettings: { noRfc7540Priorities: true } },
    ],
  ] as Array<[string, PeerOptions]>) {
    it(`§4.1 (${label}): the urgent stream's DATA completes before the background stream's`, () => {
      const t = server(options)
      t.send(
        headers(1)
          .request('GET', '/background', [['priority', 'u=7']])
          .eos(),
      )
      t.send(
        headers(3)
          .request('GET', '/urgent', [['priority', 'u=0']])
          .eos(),
      )
      respond(t, 1, 100_000)
      respond(t, 3, 100_000)
      const first = t.read()
      // 65,535 bytes of window: all of them go to the urgent stream.
      expect(new Set(dataOrder(first))).toEqual(new Set([3]))
      grant(t, 20)
      const order = [...dataOrder(first), ...dataOrder(t.read())]
      expect(order.lastIndexOf(3)).toBeLessThan(order.indexOf(1))
      expect(bytesBy(t.read()).size).toBe(0)
    })
  }

  it('§7.1 PRIORITY_UPDATE takes effect on the next frame', () => {
    const t = server({ priorities: 'rfc9218' })
    t.open(1, { eos: true })
    t.open(3, { eos: true })
    respond(t, 1, 200_000)
    respond(t, 3, 200_000)
    expect(new Set(dataOrder(t.read()))).toEqual(new Set([1]))
    t.send(priorityUpdate(3, 'u=1'))
    grant(t, 2)
    expect(dataOrder(t.read())).toEqual([3, 3])
  })

  it('§7.1 a PRIORITY_UPDATE sent before the request applies when it opens', () => {
    const t = server({ priorities: 'rfc9218' })
    t.send(priorityUpdate(5, 'u=0'))
    for (const id of [1, 3, 5]) t.open(id, { eos: true })
    for (const id of [1, 3, 5]) respond(t, id, 50_000)
    expect(dataOrder(t.read())[0]).toBe(5)
  })

  it('§10 incremental streams of one urgency take turns frame by frame', () => {
    const t = server({ priorities: 'rfc9218' })
    t.send(
      headers(1)
        .request('GET', '/a', [['priority', 'u=2, i']])
        .eos(),
    )
    t.send(
      headers(3)
        .request('GET', '/b', [['priority', 'u=2, i']])
        .eos(),
    )
    respond(t, 1, 100_000)
    respond(t, 3, 100_000)
    expect(dataOrder(t.read())).toEqual([1, 3, 1, 3])
  })

  it('the application reprioritises a response: the next frame is the one it moved up', () => {
    const t = server({ priorities: 'rfc9218' })
    t.open(1, { eos: true })
    t.open(3, { eos: true })
    respond(t, 1, 200_000)
    respond(t, 3, 200_000)
    t.read()
    t.conn.prioritize(3, { scheme: 'rfc9218', urgency: 0, incremental: false })
    grant(t, 3)
    expect(dataOrder(t.read())).toEqual([3, 3, 3])
  })

  it('with RFC 9218 in use, RFC 7540 priority fields do not reorder anything', () => {
    const t = server({ priorities: 'rfc9218' })
    t.open(1, { eos: true })
    t.send(headers(3).request('GET', '/').eos().priority({ dependency: 0, weight: 256, exclusive: true }))
    t.send(priority(1, { dependency: 3, exclusive: true }))
    respond(t, 1, 50_000)
    respond(t, 3, 50_000)
    expect(dataOrder(t.read())[0]).toBe(1)
  })

  it('a malformed priority header leaves the default urgency (RFC 9218 §4)', () => {
    const t = server({ priorities: 'rfc9218' })
    t.send(
      headers(1)
        .request('GET', '/', [['priority', 'u=4']])
        .eos(),
    )
    t.send(
      headers(3)
        .request('GET', '/', [['priority', 'u=0,']])
        .eos(),
    ) // trailing comma: ignored
    respond(t, 1, 50_000)
    respond(t, 3, 50_000)
    expect(dataOrder(t.read())[0]).toBe(3)
  })
})

describe('RFC 7540 tree on the wire', () => {
  it('§5.3.2 weights 3:1 give 3:1 of the bytes while both streams are active', () => {
    const t = server()
    t.send(headers(1).request('GET', '/').eos().priority({ dependency: 0, weight: 192 }))
    t.send(headers(3).request('GET', '/').eos().priority({ dependency: 0, weight: 64 }))
    respond(t, 1, 1_000_000)
    respond(t, 3, 1_000_000)
    t.read()
    grant(t, 60)
    const frames = t.read()
    const bytes = bytesBy(frames)
    expect(bytes.get(1)! / bytes.get(3)!).toBeGreaterThan(2.7)
    expect(bytes.get(1)! / bytes.get(3)!).toBeLessThan(3.3)
  })

  it('§5.3.3 PRIORITY takes effect on the next frame', () => {
    const t = server()
    t.open(1, { eos: true })
    t.open(3, { eos: true })
    respond(t, 1, 200_000)
    respond(t, 3, 200_000)
    expect(dataOrder(t.read())).toEqual([1, 3, 1, 3])
    t.send(priority(1, { dependency: 3, exclusive: true }))
    grant(t, 4)
    expect(dataOrder(t.read())).toEqual([3, 3, 3, 3])
  })

  it('§5.3.3 priority fields on a later HEADERS frame (trailers) reprioritise too', () => {
    const t = server()
    t.open(1, { eos: false, method: 'POST' })
    t.open(3, { eos: true })
    respond(t, 1, 200_000)
    respond(t, 3, 200_000)
    t.read()
    t.send(
      headers(1)
        .fields([['x-done', '1']])
        .eos()
        .priority({ dependency: 3 }),
    )
    grant(t, 4)
    expect(dataOrder(t.read())).toEqual([3, 3, 3, 3])
  })

  it('§5.3.5 a pushed stream depends on its associated stream', () => {
    const tree = new Rfc7540Scheduler()
    const t = server({ scheduler: tree })
    t.open(1, { eos: true })
    const promised = t.conn.push(1, [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'example.com'],
      [':path', '/pushed'],
    ])
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    t.read()
    expect(tree.describe(promised)?.parent).toBe(1)
  })

  it('§5.3.1 HEADERS depending on itself → RST_STREAM PROTOCOL_ERROR, tree untouched', () => {
    const tree = new Rfc7540Scheduler()
    const t = server({ scheduler: tree })
    t.send(headers(1).request('GET', '/').eos().priority({ dependency: 1 }))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    expect(tree.size).toBe(0)
  })

  it('CVE-2019-9513: PRIORITY frames shuffling idle streams keep the tree bounded', () => {
    const tree = new Rfc7540Scheduler({ maxIdleNodes: 20 })
    const t = server({ scheduler: tree })
    t.open(1, { eos: true })
    const flood = []
    for (let i = 0; i < 500; i++)
      flood.push(priority(101 + 2 * i, { dependency: i % 2 ? 1 : 99 + 2 * i, exclusive: true }))
    t.send(...flood)
    t.expectNoError()
    expect(tree.size).toBeLessThanOrEqual(21)
    respond(t, 1, 10)
    expect(dataOrder(t.read())).toEqual([1])
  })
})

describe('SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1)', () => {
  const sent = (t: TestPeer) => t.engineSettings.find((s) => s.id === SettingId.NO_RFC7540_PRIORITIES)?.value

  it('a server with priorities: rfc9218 sends it = 1; by default it is not sent', () => {
    expect(sent(server({ priorities: 'rfc9218' }))).toBe(1)
    expect(sent(server())).toBeUndefined()
  })

  it('the peer changing it after its first SETTINGS → GOAWAY PROTOCOL_ERROR', () => {
    const t = server({ peerSettings: { noRfc7540Priorities: true } })
    t.send(settings({ noRfc7540Priorities: false }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('sent again with the same value is fine', () => {
    const t = server({ peerSettings: { noRfc7540Priorities: true } })
    t.send(settings({ noRfc7540Priorities: true }))
    t.expectNoError()
  })

  it('value 2 → GOAWAY PROTOCOL_ERROR', () => {
    const t = server()
    t.send(settings([[SettingId.NO_RFC7540_PRIORITIES, 2]]))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('our own value cannot change after the first SETTINGS', () => {
    const t = server({ priorities: 'rfc9218' })
    expect(() => t.conn.updateSettings({ noRfc7540Priorities: false })).toThrow(/RFC 9218/)
  })
})

describe('PRIORITY_UPDATE errors and the client side (RFC 9218 §7)', () => {
  it('§7.1 PRIORITY_UPDATE received by a client → GOAWAY PROTOCOL_ERROR', () => {
    const t = clientUnderTest()
    t.send(priorityUpdate(1, 'u=0'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('§7.1 PRIORITY_UPDATE on a stream other than 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = server()
    const payload = Uint8Array.of(0, 0, 0, 1, 0x75, 0x3d, 0x30)
    t.send(raw(FrameType.PRIORITY_UPDATE, 0, 1, payload))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('§7.1 Prioritized Stream ID 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = server()
    t.send(priorityUpdate(0, 'u=0'))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('a field value that does not parse is ignored', () => {
    const t = server({ priorities: 'rfc9218' })
    t.open(1, { eos: true })
    t.send(priorityUpdate(1, 'u=0,,'))
    t.expectNoError()
    t.expectAlive()
  })

  it('a client reprioritising its request sends PRIORITY_UPDATE (RFC 9218) or PRIORITY (RFC 7540)', () => {
    const t = clientUnderTest()
    const id = t.conn.request(
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'example.com'],
        [':path', '/'],
      ],
      { endStream: true },
    )
    t.read()
    t.conn.prioritize(id, { scheme: 'rfc9218', urgency: 1, incremental: true })
    t.conn.prioritize(id, { scheme: 'rfc7540', dependency: 0, weight: 200, exclusive: false })
    const frames = t.read()
    expect(
      framesOf<PriorityUpdateFrame>(frames, FrameType.PRIORITY_UPDATE).map((f) => [
        f.prioritizedStreamId,
        f.fieldValue,
      ]),
    ).toEqual([[id, 'u=1, i']])
    expect(
      framesOf<PriorityFrame>(frames, FrameType.PRIORITY).map((f) => [f.streamId, f.priority.weight]),
    ).toEqual([[id, 200]])
  })

  it('bad priorities from the application are UsageErrors', () => {
    const t = server()
    t.open(1, { eos: true })
    expect(() => t.conn.prioritize(1, { scheme: 'rfc9218', urgency: 8, incremental: false })).toThrow(
      /urgency/,
    )
    expect(() =>
      t.conn.prioritize(1, { scheme: 'rfc7540', dependency: 1, weight: 16, exclusive: false }),
    ).toThrow()
    expect(() =>
      t.conn.prioritize(1, { scheme: 'rfc7540', dependency: 0, weight: 0, exclusive: false }),
    ).toThrow()
  })
})

function priorityUpdate(prioritizedStreamId: number, fieldValue: string) {
  const bytes = Uint8Array.from(fieldValue, (c) => c.charCodeAt(0))
  const payload = new Uint8Array(4 + bytes.length)
  new DataView(payload.buffer).setUint32(0, prioritizedStreamId)
  payload.set(bytes, 4)
  return raw(FrameType.PRIORITY_UPDATE, 0, 0, payload)
}
