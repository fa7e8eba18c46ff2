import { describe, expect, it } from 'vitest'
import { ErrorCode, encodeFrame, Flags, FrameType, SettingId, type SettingsFrame } from '../../src/index.js'
import { decodeOne, expectDecodeError, raw } from '../support.js'

function setting(id: number, value: number): number[] {
  return [id >>> 8, id & 0xff, value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]
}

describe('SETTINGS (RFC 9113 §6.5)', () => {
  it('round-trips settings in order, duplicates and unknown identifiers kept', () => {
    const frame: SettingsFrame = {
      type: FrameType.SETTINGS,
      flags: 0,
      streamId: 0,
      settings: [
        { id: SettingId.HEADER_TABLE_SIZE, value: 8192 },
        { id: SettingId.ENABLE_CONNECT_PROTOCOL, value: 1 },
        { id: SettingId.NO_RFC7540_PRIORITIES, value: 1 },
        { id: 0xabcd, value: 0xffffffff },
        { id: SettingId.HEADER_TABLE_SIZE, value: 0 },
      ],
    }
    const bytes = encodeFrame(frame)
    expect(bytes.length).toBe(9 + 30)
    expect(decodeOne(bytes)).toEqual(frame)
  })

  it('round-trips an ACK', () => {
    const ack: SettingsFrame = { type: FrameType.SETTINGS, flags: Flags.ACK, streamId: 0, settings: [] }
    expect(Array.from(encodeFrame(ack))).toEqual([0, 0, 0, 4, 1, 0, 0, 0, 0])
    expect(decodeOne(encodeFrame(ack))).toEqual(ack)
  })

  it('accepts the boundary values', () => {
    const ok = [
      setting(SettingId.ENABLE_PUSH, 0),
      setting(SettingId.ENABLE_PUSH, 1),
      setting(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31 - 1),
      setting(SettingId.MAX_FRAME_SIZE, 16384),
      setting(SettingId.MAX_FRAME_SIZE, 2 ** 24 - 1),
      setting(SettingId.ENABLE_CONNECT_PROTOCOL, 1),
      setting(SettingId.NO_RFC7540_PRIORITIES, 0),
      setting(SettingId.MAX_CONCURRENT_STREAMS, 0),
    ].flat()
    expect((decodeOne(raw(FrameType.SETTINGS, 0, 0, ok)) as SettingsFrame).settings).toHaveLength(8)
  })

  it('MUST: SETTINGS on a stream is a connection error PROTOCOL_ERROR', () => {
    expectDecodeError(raw(FrameType.SETTINGS, 0, 1, setting(1, 4096)), {
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
      reason: 'settings-not-stream-0',
    })
  })

  it('MUST: an ACK with a payload is a connection error FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.SETTINGS, Flags.ACK, 0, setting(1, 4096)), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'settings-ack-with-payload',
    })
  })

  it('MUST: a length that is not a multiple of 6 is a connection error FRAME_SIZE_ERROR', () => {
    expectDecodeError(raw(FrameType.SETTINGS, 0, 0, [0, 1, 0, 0, 16]), {
      code: ErrorCode.FRAME_SIZE_ERROR,
      scope: 'connection',
      reason: 'settings-bad-length',
    })
  })

  const invalid: Array<[string, number, number, number, string]> = [
    ['ENABLE_PUSH = 2', SettingId.ENABLE_PUSH, 2, ErrorCode.PROTOCOL_ERROR, 'settings-enable-push-invalid'],
    [
      'INITIAL_WINDOW_SIZE = 2^31',
      SettingId.INITIAL_WINDOW_SIZE,
      2 ** 31,
      ErrorCode.FLOW_CONTROL_ERROR,
      'settings-initial-window-size-too-large',
    ],
    [
      'MAX_FRAME_SIZE = 16383',
      SettingId.MAX_FRAME_SIZE,
      16383,
      ErrorCode.PROTOCOL_ERROR,
      'settings-max-frame-size-invalid',
    ],
    [
      'MAX_FRAME_SIZE = 2^24',
      SettingId.MAX_FRAME_SIZE,
      2 ** 24,
      ErrorCode.PROTOCOL_ERROR,
      'settings-max-frame-size-invalid',
    ],
    [
      'ENABLE_CONNECT_PROTOCOL = 2 (RFC 8441 §3)',
      SettingId.ENABLE_CONNECT_PROTOCOL,
      2,
      ErrorCode.PROTOCOL_ERROR,
      'settings-enable-connect-protocol-invalid',
    ],
    [
      'NO_RFC7540_PRIORITIES = 2 (RFC 9218 §2.1)',
      SettingId.NO_RFC7540_PRIORITIES,
      2,
      ErrorCode.PROTOCOL_ERROR,
      'settings-no-rfc7540-priorities-invalid',
    ],
  ]
  for (const [name, id, value, code, reason] of invalid) {
    it(`MUST: ${name} is a connection error ${code === ErrorCode.FLOW_CONTROL_ERROR ? 'FLOW_CONTROL_ERROR' : 'PROTOCOL_ERROR'}`, () => {
      expectDecodeError(raw(FrameType.SETTINGS, 0, 0, [...setting(1, 4096), ...setting(id, value)]), {
        code,
        scope: 'connection',
        reason: reason as never,
      })
    })
  }
})
