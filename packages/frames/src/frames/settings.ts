/** SETTINGS (RFC 9113 §6.5). */
import { Flags, FrameType } from '../constants.js'
import { frameSizeError, protocolError } from '../errors.js'
import type { Setting, SettingsFrame } from '../frame.js'
import { checkRange, encodeFrameHeader, readUint32, writeUint32 } from '../header.js'
import { settingError } from '../settings.js'

/**
 * Decodes the payload into settings in wire order (duplicates kept: §6.5.3 says the last one wins, which the
 * engine applies in order). Values are checked with `settingError`.
 */
export function decodeSettings(
  buf: Uint8Array,
  offset: number,
  length: number,
  flags: number,
  streamId: number,
): SettingsFrame {
  // §6.5: the stream identifier MUST be zero.
  if (streamId !== 0) {
    throw protocolError(
      'settings-not-stream-0',
      FrameType.SETTINGS,
      flags,
      streamId,
      length,
      'SETTINGS on a stream',
    )
  }
  if ((flags & Flags.ACK) !== 0) {
    // §6.5: an ACK with a payload is a connection error of type FRAME_SIZE_ERROR.
    if (length !== 0) {
      throw frameSizeError(
        'settings-ack-with-payload',
        FrameType.SETTINGS,
        flags,
        streamId,
        length,
        `ACK with ${length} octets`,
      )
    }
    return { type: FrameType.SETTINGS, flags, streamId, settings: [] }
  }
  // §6.5: a length that is not a multiple of 6 is a connection error of type FRAME_SIZE_ERROR.
  if (length % 6 !== 0) {
    throw frameSizeError(
      'settings-bad-length',
      FrameType.SETTINGS,
      flags,
      streamId,
      length,
      `length ${length} is not a multiple of 6`,
    )
  }
  const settings: Setting[] = []
  for (let p = offset, end = offset + length; p < end; p += 6) {
    const setting: Setting = { id: (buf[p]! << 8) | buf[p + 1]!, value: readUint32(buf, p + 2) }
    const error = settingError(setting, streamId, length)
    if (error !== undefined) throw error
    settings.push(setting)
  }
  return { type: FrameType.SETTINGS, flags, streamId, settings }
}

export function settingsPayloadLength(frame: SettingsFrame): number {
  return frame.settings.length * 6
}

/** Writes the frame as given (an ACK is whatever `flags` says; give it no settings). Values are not validated. */
export function writeSettings(frame: SettingsFrame, target: Uint8Array, offset: number): number {
  let p = encodeFrameHeader(
    target,
    offset,
    settingsPayloadLength(frame),
    FrameType.SETTINGS,
    frame.flags,
    frame.streamId,
  )
  for (const { id, value } of frame.settings) {
    checkRange(id, 0xffff, 'setting id')
    checkRange(value, 0xffff_ffff, 'setting value')
    target[p] = id >>> 8
    target[p + 1] = id
    writeUint32(target, p + 2, value)
    p += 6
  }
  return p
}
