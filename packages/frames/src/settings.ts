/** Validation of setting values (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1). */
import {
  DEFAULT_MAX_FRAME_SIZE,
  ErrorCode,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
  MAX_WINDOW_SIZE,
  SettingId,
} from './constants.js'
import { FrameError, type FrameErrorReason } from './errors.js'
import type { Setting } from './frame.js'

/**
 * The error a received setting value calls for, or undefined when the value is allowed. All are connection
 * errors. Unknown identifiers are always allowed (§6.5.2: they MUST be ignored).
 *
 * Rules that need more than the value stay with the connection engine: a client receiving ENABLE_PUSH = 1
 * (§6.5.2), ENABLE_CONNECT_PROTOCOL going from 1 back to 0 (RFC 8441 §3), NO_RFC7540_PRIORITIES changing after
 * the first SETTINGS (RFC 9218 §2.1).
 */
export function settingError(setting: Setting, streamId = 0, length = 6): FrameError | undefined {
  const { id, value } = setting
  let reason: FrameErrorReason
  let code: number = ErrorCode.PROTOCOL_ERROR
  let rule: string
  switch (id) {
    case SettingId.ENABLE_PUSH:
      if (value <= 1) return undefined
      reason = 'settings-enable-push-invalid'
      rule = 'must be 0 or 1'
      break
    case SettingId.INITIAL_WINDOW_SIZE:
      if (value <= MAX_WINDOW_SIZE) return undefined
      reason = 'settings-initial-window-size-too-large'
      code = ErrorCode.FLOW_CONTROL_ERROR
      rule = 'must be at most 2^31-1'
      break
    case SettingId.MAX_FRAME_SIZE:
      if (value >= DEFAULT_MAX_FRAME_SIZE && value <= MAX_FRAME_SIZE_LIMIT) return undefined
      reason = 'settings-max-frame-size-invalid'
      rule = 'must be in 2^14..2^24-1'
      break
    case SettingId.ENABLE_CONNECT_PROTOCOL:
      if (value <= 1) return undefined
      reason = 'settings-enable-connect-protocol-invalid'
      rule = 'must be 0 or 1'
      break
    case SettingId.NO_RFC7540_PRIORITIES:
      if (value <= 1) return undefined
      reason = 'settings-no-rfc7540-priorities-invalid'
      rule = 'must be 0 or 1'
      break
    default:
      return undefined
  }
  return new FrameError(
    code,
    'connection',
    reason,
    streamId,
    { frameType: FrameType.SETTINGS, flags: 0, length },
    `setting 0x${id.toString(16)} = ${value}: ${rule}`,
  )
}
