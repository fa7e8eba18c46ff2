// RFC 9113 §6.5 SETTINGS: applied and acknowledged, invalid values with their exact codes, the effect of
// SETTINGS_INITIAL_WINDOW_SIZE on open streams (§6.9.2), and the ACK timeout (§6.5.3).
import { ErrorCode, Flags, FrameType, SettingId, type SettingsFrame } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../src/index.js'
import {
  data,
  framesOf,
  headers,
  ofType,
  type ReadFrame,
  raw,
  serverUnderTest,
  settings,
  settingsAck,
  windowUpdate,
} from '../support/frames.js'

const dataLengths = (frames: ReadFrame[]) =>
  framesOf<{ type: 0; flags: number; streamId: number; data: Uint8Array }>(frames, FrameType.DATA).map(
    (f) => f.data.length,
  )

describe('6.5 SETTINGS', () => {
  it('6.5 SETTINGS from the peer are applied and acknowledged with an empty SETTINGS ACK', () => {
    const t = serverUnderTest()
    const events = t.send(
      settings({
        initialWindowSize: 1000,
        maxFrameSize: 20000,
        headerTableSize: 100,
        maxConcurrentStreams: 5,
      }),
    )
    expect(ofType(events, 'settingsReceived')).toMatchObject([
      {
        settings: {
          initialWindowSize: 1000,
          maxFrameSize: 20000,
          headerTableSize: 100,
          maxConcurrentStreams: 5,
        },
      },
    ])
    expect(t.conn.remoteSettings.initialWindowSize).toBe(1000)
    const frames = t.read()
    expect(frames.map((f) => [f.type, f.flags, f.streamId, (f as SettingsFrame).settings])).toEqual([
      [FrameType.SETTINGS, Flags.ACK, 0, []],
    ])
  })

  it('6.5 an empty SETTINGS frame is acknowledged too', () => {
    const t = serverUnderTest()
    t.send(settings())
    expect(t.read().map((f) => [f.type, f.flags])).toEqual([[FrameType.SETTINGS, Flags.ACK]])
  })

  it('6.5 each SETTINGS frame gets its own ACK, in order', () => {
    const t = serverUnderTest()
    t.send(settings({ maxFrameSize: 20000 }), settings({ maxFrameSize: 30000 }))
    expect(t.read().map((f) => [f.type, f.flags])).toEqual([
      [FrameType.SETTINGS, Flags.ACK],
      [FrameType.SETTINGS, Flags.ACK],
    ])
    expect(t.conn.remoteSettings.maxFrameSize).toBe(30000)
  })

  it('6.5.3 our SETTINGS acknowledged → settingsAcknowledged', () => {
    const t = serverUnderTest()
    t.conn.updateSettings({ maxConcurrentStreams: 7 })
    const frames = t.read()
    expect(frames.map((f) => [f.type, f.flags, (f as SettingsFrame).settings])).toEqual([
      [FrameType.SETTINGS, 0, [{ id: SettingId.MAX_CONCURRENT_STREAMS, value: 7 }]],
    ])
    expect(ofType(t.send(settingsAck()), 'settingsAcknowledged')).toHaveLength(1)
  })

  it('6.5.2 unknown setting identifiers are ignored (and still acknowledged)', () => {
    const t = serverUnderTest()
    t.send(
      settings([
        [0x99, 12345],
        [0xffff, 0xffffffff],
      ]),
    )
    expect(t.read().map((f) => [f.type, f.flags])).toEqual([[FrameType.SETTINGS, Flags.ACK]])
  })

  it('6.5 SETTINGS on a stream other than 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.SETTINGS, 0, 1, ''))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.5 SETTINGS with a length that is not a multiple of 6 → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.SETTINGS, 0, 0, Uint8Array.of(0, 4, 0, 0, 1)))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 0)
  })

  it('6.5 SETTINGS ACK with a payload → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.send(raw(FrameType.SETTINGS, Flags.ACK, 0, Uint8Array.of(0, 4, 0, 0, 0, 1)))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 0)
  })

  it('6.5.2 SETTINGS_ENABLE_PUSH = 2 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(settings({ enablePush: 2 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.5.2 SETTINGS_INITIAL_WINDOW_SIZE = 2^31 → GOAWAY FLOW_CONTROL_ERROR', () => {
    const t = serverUnderTest()
    t.send(settings({ initialWindowSize: 2 ** 31 }))
    t.expectGoAway(ErrorCode.FLOW_CONTROL_ERROR, 0)
  })

  it('6.5.2 SETTINGS_INITIAL_WINDOW_SIZE = 2^31-1 is allowed', () => {
    const t = serverUnderTest()
    t.send(settings({ initialWindowSize: 2 ** 31 - 1 }))
    t.expectNoError()
    expect(t.conn.remoteSettings.initialWindowSize).toBe(2 ** 31 - 1)
  })

  it('6.5.2 SETTINGS_MAX_FRAME_SIZE = 16383 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(settings({ maxFrameSize: 16383 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.5.2 SETTINGS_MAX_FRAME_SIZE = 2^24 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(settings({ maxFrameSize: 2 ** 24 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('RFC 8441 §3 SETTINGS_ENABLE_CONNECT_PROTOCOL = 2 → GOAWAY PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(settings({ enableConnectProtocol: 2 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('6.5.2 an invalid setting after stream 1 was processed: GOAWAY names last-stream-id 1', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(settings({ enablePush: 7 }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 1)
  })

  it('6.5.2 the peer SETTINGS_MAX_FRAME_SIZE bounds our DATA frames', () => {
    const t = serverUnderTest({ peerSettings: { maxFrameSize: 20000, initialWindowSize: 1 << 20 } })
    t.send(windowUpdate(0, 1 << 20))
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(50000), { endStream: true })
    expect(dataLengths(t.read())).toEqual([20000, 20000, 10000])
  })

  it('6.5.2 with the default SETTINGS_MAX_FRAME_SIZE our DATA frames are at most 16384 octets', () => {
    const t = serverUnderTest({ peerSettings: { initialWindowSize: 1 << 20 } })
    t.send(windowUpdate(0, 1 << 20))
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(40000), { endStream: true })
    expect(dataLengths(t.read())).toEqual([16384, 16384, 7232])
  })

  it('6.5.2 the peer SETTINGS_HEADER_TABLE_SIZE 0: our header blocks stay decodable', () => {
    const t = serverUnderTest({ peerSettings: { headerTableSize: 0 } })
    t.open(1, { eos: true })
    t.open(3, { eos: true })
    t.conn.sendHeaders(
      1,
      [
        [':status', '200'],
        ['x-custom', 'value-one'],
      ],
      { endStream: true },
    )
    t.conn.sendHeaders(
      3,
      [
        [':status', '200'],
        ['x-custom', 'value-one'],
      ],
      { endStream: true },
    )
    const blocks = framesOf(t.read(), FrameType.HEADERS).map((f) => f.fields)
    expect(blocks).toEqual([
      [
        [':status', '200'],
        ['x-custom', 'value-one'],
      ],
      [
        [':status', '200'],
        ['x-custom', 'value-one'],
      ],
    ])
  })
})

describe('6.5.3 our settings take effect when acknowledged', () => {
  it('6.5.3 SETTINGS_HEADER_TABLE_SIZE lowered: after the ACK a block must start with a size update', () => {
    const t = serverUnderTest()
    t.conn.updateSettings({ headerTableSize: 0 })
    expect(framesOf<SettingsFrame>(t.read(), FrameType.SETTINGS)[0]?.settings).toEqual([
      { id: SettingId.HEADER_TABLE_SIZE, value: 0 },
    ])
    t.send(settingsAck())
    // The peer encoder was not told: its block does not start with the size update RFC 7541 §4.2 requires.
    t.send(headers(1).request('GET', '/').eos())
    t.expectGoAway(ErrorCode.COMPRESSION_ERROR, 0)
  })

  it('6.5.3 SETTINGS_HEADER_TABLE_SIZE lowered: a block with the size update is accepted', () => {
    const t = serverUnderTest()
    t.conn.updateSettings({ headerTableSize: 0 })
    t.read()
    t.send(settingsAck())
    t.hpack.setMaxTableSize(0)
    expect(ofType(t.open(1, { eos: true }), 'headersReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it('4.2 a frame larger than our SETTINGS_MAX_FRAME_SIZE → GOAWAY FRAME_SIZE_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(data(1, 16385))
    t.expectGoAway(ErrorCode.FRAME_SIZE_ERROR, 1)
  })

  it('6.5.3 a larger SETTINGS_MAX_FRAME_SIZE of ours: larger frames are accepted', () => {
    const t = serverUnderTest({ settings: { maxFrameSize: 32768 } })
    expect(t.engineSettings).toContainEqual({ id: SettingId.MAX_FRAME_SIZE, value: 32768 })
    t.open(1, { method: 'POST' })
    const events = t.send(data(1, 20000))
    expect(ofType(events, 'dataReceived').map((e) => e.data.length)).toEqual([20000])
    t.expectNothing()
  })

  it('6.5.3 no SETTINGS ACK within settingsTimeout → GOAWAY SETTINGS_TIMEOUT (and not a moment before)', () => {
    const t = serverUnderTest({ ackSettings: false })
    const start = t.clock.time
    expect(t.conn.nextDeadline()).toBe(start + DEFAULT_LIMITS.settingsTimeout)
    t.clock.advance(DEFAULT_LIMITS.settingsTimeout - 1)
    expect(t.tick()).toEqual([])
    t.expectNothing()
    t.clock.advance(1)
    const events = t.tick()
    expect(ofType(events, 'connectionFailed').map((e) => e.error.code)).toEqual([ErrorCode.SETTINGS_TIMEOUT])
    t.expectGoAway(ErrorCode.SETTINGS_TIMEOUT, 0)
  })

  it('6.5.3 an ACK in time: no deadline and no SETTINGS_TIMEOUT', () => {
    const t = serverUnderTest()
    expect(t.conn.nextDeadline()).toBeUndefined()
    t.clock.advance(DEFAULT_LIMITS.settingsTimeout * 10)
    expect(t.tick()).toEqual([])
    t.expectNothing()
  })

  it('6.5.3 a later SETTINGS (updateSettings) left unacknowledged → SETTINGS_TIMEOUT', () => {
    const t = serverUnderTest({ limits: { settingsTimeout: 1000 } })
    t.open(1, { eos: true })
    t.clock.advance(5000)
    t.conn.updateSettings({ maxConcurrentStreams: 10 })
    t.read()
    expect(t.conn.nextDeadline()).toBe(t.clock.time + 1000)
    t.clock.advance(999)
    t.tick()
    t.expectNothing()
    t.clock.advance(1)
    t.tick()
    t.expectGoAway(ErrorCode.SETTINGS_TIMEOUT, 1)
  })
})

describe('6.9.2 SETTINGS_INITIAL_WINDOW_SIZE and open streams', () => {
  it('6.9.2 a change adjusts the send window of open streams, which may go negative', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(100))
    expect(dataLengths(t.read())).toEqual([100])
    expect(t.conn.sendWindow(1)).toBe(65435)
    // 65535 → 50: the stream window becomes 65435 - 65485 = -50.
    t.send(settings({ initialWindowSize: 50 }))
    t.read()
    expect(t.conn.sendWindow(1)).toBe(0)
    t.conn.sendData(1, new Uint8Array(10), { endStream: true })
    t.expectNoError()
    // +55 brings it to 5: exactly 5 octets may go.
    t.send(windowUpdate(1, 55))
    expect(dataLengths(t.read())).toEqual([5])
    t.send(windowUpdate(1, 100))
    expect(dataLengths(t.read())).toEqual([5])
    expect(t.conn.streamState(1)).toBe('closed')
  })

  it('6.9.2 a larger SETTINGS_INITIAL_WINDOW_SIZE unblocks a stream waiting for window', () => {
    const t = serverUnderTest({ peerSettings: { initialWindowSize: 0 } })
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(10), { endStream: true })
    expect(dataLengths(t.read())).toEqual([])
    const events = t.send(settings({ initialWindowSize: 4 }))
    expect(ofType(events, 'windowUpdated').map((e) => e.streamId)).toEqual([1])
    expect(dataLengths(t.read())).toEqual([4])
  })

  it('6.9.2 a change that takes a stream window past 2^31-1 → GOAWAY FLOW_CONTROL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.send(windowUpdate(1, 2 ** 31 - 1 - 65535))
    t.expectNothing()
    t.send(settings({ initialWindowSize: 65536 }))
    t.expectGoAway(ErrorCode.FLOW_CONTROL_ERROR, 1)
  })

  it('6.9.2 SETTINGS_INITIAL_WINDOW_SIZE does not change the connection window', () => {
    const t = serverUnderTest()
    t.send(settings({ initialWindowSize: 1 << 20 }))
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new Uint8Array(70000), { endStream: true })
    expect(dataLengths(t.read()).reduce((a, b) => a + b, 0)).toBe(65535)
  })

  it('6.9.2 our larger SETTINGS_INITIAL_WINDOW_SIZE applies to streams already open', () => {
    const t = serverUnderTest({ connectionWindowSize: 1 << 20 })
    t.open(1, { method: 'POST' })
    t.conn.updateSettings({ initialWindowSize: 200_000 })
    t.read()
    t.send(settingsAck())
    // 5 × 16384 = 81920 octets: over the old 65535, well within the new 200000.
    const events = t.send(data(1, 16384), data(1, 16384), data(1, 16384), data(1, 16384), data(1, 16384))
    t.expectNoError()
    expect(ofType(events, 'dataReceived')).toHaveLength(5)
  })

  it('6.9.2 our larger SETTINGS_INITIAL_WINDOW_SIZE applies to streams opened afterwards', () => {
    const t = serverUnderTest({ connectionWindowSize: 1 << 20 })
    t.conn.updateSettings({ initialWindowSize: 200_000 })
    t.read()
    t.send(settingsAck())
    t.open(1, { method: 'POST' })
    const events = t.send(data(1, 16384), data(1, 16384), data(1, 16384), data(1, 16384), data(1, 16384))
    t.expectNoError()
    expect(ofType(events, 'dataReceived')).toHaveLength(5)
  })
})
