// Extended CONNECT (RFC 8441): SETTINGS_ENABLE_CONNECT_PROTOCOL, the :protocol pseudo-header, and the
// stream it opens: a tunnel both sides write to until each ends its half.
import { ErrorCode, SettingId } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import { isUsageError } from '../../src/index.js'
import { clientUnderTest, data, headers, ofType, serverUnderTest, settings } from '../support/frames.js'

const websocket: Array<[string, string]> = [
  [':method', 'CONNECT'],
  [':protocol', 'websocket'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/chat'],
]

describe('RFC 8441 extended CONNECT', () => {
  it('§3 a server with enableConnectProtocol sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1', () => {
    const t = serverUnderTest({ settings: { enableConnectProtocol: true } })
    expect(t.engineSettings).toContainEqual({ id: SettingId.ENABLE_CONNECT_PROTOCOL, value: 1 })
    expect(serverUnderTest().engineSettings.some((s) => s.id === SettingId.ENABLE_CONNECT_PROTOCOL)).toBe(
      false,
    )
  })

  it('§4, §5 the stream carries DATA both ways: the request’s and the 200’s, each side ending its own half', () => {
    const t = serverUnderTest({ settings: { enableConnectProtocol: true } })
    const opened = t.send(headers(1).fields(websocket))
    expect(ofType(opened, 'headersReceived')).toMatchObject([
      {
        streamId: 1,
        kind: 'request',
        endStream: false,
        request: { method: 'CONNECT', protocol: 'websocket', path: '/chat' },
      },
    ])
    t.conn.sendHeaders(1, [[':status', '200']])
    t.conn.sendData(1, new TextEncoder().encode('hello from the server'))
    t.expectNoError()
    const inbound = t.send(data(1, 'hello from the client'), data(1, 'more'))
    expect(ofType(inbound, 'dataReceived').map((e) => new TextDecoder().decode(e.data))).toEqual([
      'hello from the client',
      'more',
    ])
    expect(t.conn.streamState(1)).toBe('open')
    t.send(data(1, '').eos())
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
    t.conn.sendData(1, new TextEncoder().encode('last words'), { endStream: true })
    t.read()
    expect(t.conn.streamState(1)).toBe('closed')
  })

  it('§3 SETTINGS_ENABLE_CONNECT_PROTOCOL going from 1 back to 0 → GOAWAY PROTOCOL_ERROR', () => {
    const t = clientUnderTest({ peerSettings: { enableConnectProtocol: true } })
    t.send(settings({ enableConnectProtocol: false }))
    t.expectGoAway(ErrorCode.PROTOCOL_ERROR, 0)
  })

  it('§3 repeating the value 1 is fine', () => {
    const t = clientUnderTest({ peerSettings: { enableConnectProtocol: true } })
    t.send(settings({ enableConnectProtocol: true }))
    t.expectNoError()
  })

  it('§3 we cannot withdraw it either', () => {
    const t = serverUnderTest({ settings: { enableConnectProtocol: true } })
    expect(() => t.conn.updateSettings({ enableConnectProtocol: false })).toThrow(/RFC 8441/)
  })

  it('§4 a client sends :protocol only once the server has said it may', () => {
    const before = clientUnderTest()
    let error: unknown
    try {
      before.conn.request(websocket)
    } catch (e) {
      error = e
    }
    expect(isUsageError(error)).toBe(true)
    const after = clientUnderTest({ peerSettings: { enableConnectProtocol: true } })
    const id = after.conn.request(websocket)
    const frames = after.read()
    expect(frames.find((f) => f.streamId === id)?.fields).toEqual(websocket)
    const response = after.send(headers(id).response(200), data(id, 'tunnelled'))
    expect(ofType(response, 'dataReceived').map((e) => e.data.length)).toEqual([9])
    after.conn.sendData(id, new Uint8Array(3), { endStream: true })
    after.expectNoError()
  })

  it('§4 :protocol without the setting → RST_STREAM PROTOCOL_ERROR (malformed)', () => {
    const t = serverUnderTest()
    t.send(headers(1).fields(websocket))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })
})
