/**
 * HTTP/2 settings (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1) as a plain object, with the protocol's
 * initial values.
 */
import { type Setting, SettingId } from '@h2ts/frames'

export interface Settings {
  headerTableSize: number
  enablePush: boolean
  /** Infinity when not limited (the initial value). */
  maxConcurrentStreams: number
  initialWindowSize: number
  maxFrameSize: number
  /** Infinity when not limited (the initial value). */
  maxHeaderListSize: number
  enableConnectProtocol: boolean
  noRfc7540Priorities: boolean
}

/** Values in force before any SETTINGS frame (RFC 9113 §6.5.2). */
export const INITIAL_SETTINGS: Readonly<Settings> = Object.freeze({
  headerTableSize: 4096,
  enablePush: true,
  maxConcurrentStreams: Number.POSITIVE_INFINITY,
  initialWindowSize: 65535,
  maxFrameSize: 16384,
  maxHeaderListSize: Number.POSITIVE_INFINITY,
  enableConnectProtocol: false,
  noRfc7540Priorities: false,
})

/** Applies one received setting (already validated by the frame decoder); unknown ids are ignored (§6.5.2). */
export function applySetting(settings: Settings, { id, value }: Setting): void {
  switch (id) {
    case SettingId.HEADER_TABLE_SIZE:
      settings.headerTableSize = value
      break
    case SettingId.ENABLE_PUSH:
      settings.enablePush = value === 1
      break
    case SettingId.MAX_CONCURRENT_STREAMS:
      settings.maxConcurrentStreams = value
      break
    case SettingId.INITIAL_WINDOW_SIZE:
      settings.initialWindowSize = value
      break
    case SettingId.MAX_FRAME_SIZE:
      settings.maxFrameSize = value
      break
    case SettingId.MAX_HEADER_LIST_SIZE:
      settings.maxHeaderListSize = value
      break
    case SettingId.ENABLE_CONNECT_PROTOCOL:
      settings.enableConnectProtocol = value === 1
      break
    case SettingId.NO_RFC7540_PRIORITIES:
      settings.noRfc7540Priorities = value === 1
      break
  }
}

/** The entries of a SETTINGS frame that moves a peer from `from` to `to` (only what differs). */
export function settingsDiff(from: Readonly<Settings>, to: Readonly<Settings>): Setting[] {
  const out: Setting[] = []
  const num = (id: number, a: number, b: number) => {
    if (a !== b && Number.isFinite(b)) out.push({ id, value: b })
  }
  const bool = (id: number, a: boolean, b: boolean) => {
    if (a !== b) out.push({ id, value: b ? 1 : 0 })
  }
  num(SettingId.HEADER_TABLE_SIZE, from.headerTableSize, to.headerTableSize)
  bool(SettingId.ENABLE_PUSH, from.enablePush, to.enablePush)
  num(SettingId.MAX_CONCURRENT_STREAMS, from.maxConcurrentStreams, to.maxConcurrentStreams)
  num(SettingId.INITIAL_WINDOW_SIZE, from.initialWindowSize, to.initialWindowSize)
  num(SettingId.MAX_FRAME_SIZE, from.maxFrameSize, to.maxFrameSize)
  num(SettingId.MAX_HEADER_LIST_SIZE, from.maxHeaderListSize, to.maxHeaderListSize)
  bool(SettingId.ENABLE_CONNECT_PROTOCOL, from.enableConnectProtocol, to.enableConnectProtocol)
  bool(SettingId.NO_RFC7540_PRIORITIES, from.noRfc7540Priorities, to.noRfc7540Priorities)
  return out
}
