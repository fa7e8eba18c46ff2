/**
 * @h2ts/streams — the HTTP/2 connection engine (RFC 9113), sans-IO: bytes in, events and bytes out.
 * The Node server and client are in `@h2ts/streams/node`.
 */

export { ErrorCode, errorCodeName } from '@h2ts/frames'
export {
  Connection,
  type ConnectionOptions,
  type ConnectionStats,
  DEFAULT_LIMITS,
  type Limits,
  type Role,
} from './connection.js'
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
export { formatPriorityField, type PriorityParameters, parsePriorityField } from './priority-field.js'
export { Rfc7540Scheduler, type Rfc7540SchedulerOptions } from './scheduler/rfc7540.js'
export { Rfc9218Scheduler, type Rfc9218SchedulerOptions } from './scheduler/rfc9218.js'
export { RoundRobinScheduler } from './scheduler/round-robin.js'
export type {
  PrioritySignal,
  Rfc7540Priority,
  Rfc9218Priority,
  WriteScheduler,
} from './scheduler/scheduler.js'
export { INITIAL_SETTINGS, type Settings } from './settings.js'
export { RECEIVE_RULES, type ReceiveRule, type StreamFrameKind, type StreamState } from './stream-state.js'
