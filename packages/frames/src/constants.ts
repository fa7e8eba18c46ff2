/**
 * Wire constants of HTTP/2 (RFC 9113) and the extensions this codec knows, spelled as in the RFCs. They are
 * plain numbers in `as const` objects (not TS enums) so values from the wire that no table lists (new frame
 * types, error codes, settings) stay ordinary numbers and survive a round trip.
 */

/** Frame types: RFC 9113 §6, plus ALTSVC (RFC 7838 §4), ORIGIN (RFC 8336 §2) and PRIORITY_UPDATE (RFC 9218 §7.1). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
  ALTSVC: 0xa,
  ORIGIN: 0xc,
  PRIORITY_UPDATE: 0x10,
} as const

/** The numeric type of a frame this codec parses into fields. */
export type KnownFrameType = (typeof FrameType)[keyof typeof FrameType]

/**
 * Frame flags (RFC 9113 §6). A bit means something only for the frame types that define it: 0x1 is END_STREAM
 * on DATA and HEADERS but ACK on SETTINGS and PING.
 */
export const Flags = {
  /** DATA, HEADERS (RFC 9113 §6.1, §6.2). */
  END_STREAM: 0x1,
  /** SETTINGS, PING (RFC 9113 §6.5, §6.7). */
  ACK: 0x1,
  /** HEADERS, PUSH_PROMISE, CONTINUATION (RFC 9113 §6.2, §6.6, §6.10). */
  END_HEADERS: 0x4,
  /** DATA, HEADERS, PUSH_PROMISE (RFC 9113 §6.1, §6.2, §6.6). */
  PADDED: 0x8,
  /** HEADERS (RFC 9113 §6.2). */
  PRIORITY: 0x20,
} as const

/** Error codes (RFC 9113 §7), carried by RST_STREAM and GOAWAY. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const

/** Setting identifiers: RFC 9113 §6.5.2, RFC 8441 §3 and RFC 9218 §2.1. The RFCs' `SETTINGS_` prefix is dropped. */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
} as const

/** Size of the frame header that precedes every payload (RFC 9113 §4.1). */
export const FRAME_HEADER_LENGTH = 9

/** The initial SETTINGS_MAX_FRAME_SIZE, and the smallest value it may take (RFC 9113 §4.2, §6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384

/** The largest payload length the 24-bit Length field can carry, and the largest SETTINGS_MAX_FRAME_SIZE. */
export const MAX_FRAME_SIZE_LIMIT = 16_777_215

/** The largest stream identifier and the largest flow-control window: 2^31-1 (RFC 9113 §5.1.1, §6.9.1). */
export const MAX_STREAM_ID = 0x7fff_ffff

/** Largest flow-control window and WINDOW_UPDATE increment (RFC 9113 §6.9). */
export const MAX_WINDOW_SIZE = 0x7fff_ffff

/** Initial values of the settings (RFC 9113 §6.5.2); `undefined`-free: "unlimited" is Infinity. */
export const DEFAULT_SETTINGS = {
  HEADER_TABLE_SIZE: 4096,
  ENABLE_PUSH: 1,
  MAX_CONCURRENT_STREAMS: Number.POSITIVE_INFINITY,
  INITIAL_WINDOW_SIZE: 65_535,
  MAX_FRAME_SIZE: DEFAULT_MAX_FRAME_SIZE,
  MAX_HEADER_LIST_SIZE: Number.POSITIVE_INFINITY,
  ENABLE_CONNECT_PROTOCOL: 0,
  NO_RFC7540_PRIORITIES: 0,
} as const

function reverse(table: Record<string, number>): Map<number, string> {
  const map = new Map<number, string>()
  for (const [name, value] of Object.entries(table)) if (!map.has(value)) map.set(value, name)
  return map
}

const frameTypeNames = reverse(FrameType)
const errorCodeNames = reverse(ErrorCode)
const settingNames = reverse(SettingId)

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`
}

/** The RFC name of an error code ('PROTOCOL_ERROR'), or 'UNKNOWN_0x…' for a code no RFC here defines. */
export function errorCodeName(code: number): string {
  return errorCodeNames.get(code) ?? `UNKNOWN_${hex(code)}`
}

/** The RFC name of a frame type ('HEADERS'), or 'UNKNOWN_0x…'. */
export function frameTypeName(type: number): string {
  return frameTypeNames.get(type) ?? `UNKNOWN_${hex(type)}`
}

/** The RFC name of a setting without its prefix ('INITIAL_WINDOW_SIZE'), or 'UNKNOWN_0x…'. */
export function settingName(id: number): string {
  return settingNames.get(id) ?? `UNKNOWN_${hex(id)}`
}
