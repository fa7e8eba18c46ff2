import { describe, expect, it } from 'vitest'
import { ErrorCode, errorCodeName, FrameType, frameTypeName, SettingId, settingName } from '../src/index.js'

describe('constants', () => {
  it('have the RFC values', () => {
    expect(FrameType).toMatchObject({
      DATA: 0,
      CONTINUATION: 9,
      ALTSVC: 0xa,
      ORIGIN: 0xc,
      PRIORITY_UPDATE: 0x10,
    })
    expect(ErrorCode).toMatchObject({ NO_ERROR: 0, FLOW_CONTROL_ERROR: 3, HTTP_1_1_REQUIRED: 0xd })
    expect(SettingId).toMatchObject({
      MAX_FRAME_SIZE: 5,
      ENABLE_CONNECT_PROTOCOL: 8,
      NO_RFC7540_PRIORITIES: 9,
    })
  })

  it('name known values and mark unknown ones', () => {
    expect(errorCodeName(ErrorCode.PROTOCOL_ERROR)).toBe('PROTOCOL_ERROR')
    expect(errorCodeName(0xdeadbeef)).toBe('UNKNOWN_0xdeadbeef')
    expect(frameTypeName(FrameType.GOAWAY)).toBe('GOAWAY')
    expect(frameTypeName(0xfe)).toBe('UNKNOWN_0xfe')
    expect(settingName(SettingId.INITIAL_WINDOW_SIZE)).toBe('INITIAL_WINDOW_SIZE')
    expect(settingName(0x7)).toBe('UNKNOWN_0x7')
  })
})
