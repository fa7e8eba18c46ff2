/**
 * @h2ts/frames — the HTTP/2 frame codec (RFC 9113 §4 and §6, plus ALTSVC, ORIGIN and PRIORITY_UPDATE).
 * No dependencies, no Node APIs: Uint8Array in, Uint8Array out.
 */
export {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_SETTINGS,
  ErrorCode,
  errorCodeName,
  Flags,
  FRAME_HEADER_LENGTH,
  FrameType,
  frameTypeName,
  type KnownFrameType,
  MAX_FRAME_SIZE_LIMIT,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  SettingId,
  settingName,
} from './constants.js'
export {
  type DecodedItem,
  decodeFrames,
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameIterator,
} from './decoder.js'
export { encodedLength, encodeFrame, encodeFrameInto, encodeFrames, payloadLength } from './encoder.js'
export {
  type ErrorScope,
  FrameError,
  type FrameErrorReason,
  FrameSizeError,
  FrameUsageError,
  isFrameError,
  isFrameUsageError,
  isPrefaceError,
  PrefaceError,
  type PrefaceLooksLike,
} from './errors.js'
export {
  type AltSvcFrame,
  type ContinuationFrame,
  type DataFrame,
  type Frame,
  type FrameFields,
  type GoAwayFrame,
  type HeadersFrame,
  type IgnoredFrameReason,
  isKnownFrame,
  isKnownFrameType,
  type KnownFrame,
  type OriginFrame,
  type PingFrame,
  type Priority,
  type PriorityFrame,
  type PriorityUpdateFrame,
  type PushPromiseFrame,
  type RstStreamFrame,
  type Setting,
  type SettingsFrame,
  type UnknownFrame,
  type WindowUpdateFrame,
} from './frame.js'
export { decodeFrameHeader, encodeDataFrameHeader, encodeFrameHeader, type FrameHeader } from './header.js'
export {
  encodeHeadersBlock,
  encodeHeadersBlockInto,
  encodePushPromiseBlock,
  encodePushPromiseBlockInto,
  type HeadersBlockOptions,
  headersBlockLength,
  type PushPromiseBlockOptions,
  pushPromiseBlockLength,
} from './header-block.js'
export {
  CLIENT_PREFACE_LENGTH,
  classifyPreface,
  clientPreface,
  PrefaceReader,
  writeClientPreface,
} from './preface.js'
export { settingError } from './settings.js'
