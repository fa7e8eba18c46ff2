/**
 * @h2ts/streams — the HTTP/2 connection engine (RFC 9113), sans-IO: bytes in, events and bytes out.
 * The Node server and client are in `@h2ts/streams/node`.
 */

export { ErrorCode, errorCodeName } from '@h2ts/frames'
export { Connection, type ConnectionOptions, DEFAULT_LIMITS, type Limits, type Role } from './connection.js'
export {
  ConnectionError,
  type ErrorOrigin,
  Http2Error,
  isConnectionError,
  isHttp2Error,
  isStreamError,
  isUsageError,
  StreamError,
  UsageError,
} from './errors.js'
export type * from './events.js'
export {
  fieldProblem,
  type RequestHead,
  type ResponseHead,
  validateRequest,
  validateResponse,
  validateTrailers,
} from './headers.js'
export { RoundRobinScheduler } from './scheduler/round-robin.js'
export type { WriteScheduler } from './scheduler/scheduler.js'
export { INITIAL_SETTINGS, type Settings } from './settings.js'
export { RECEIVE_RULES, type ReceiveRule, type StreamFrameKind, type StreamState } from './stream-state.js'
