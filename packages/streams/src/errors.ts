/**
 * Errors of the connection engine (DESIGN.md "Errors").
 *
 * - `ConnectionError`: the connection ends with GOAWAY and this code (RFC 9113 §5.4.1).
 * - `StreamError`: one stream ends with RST_STREAM and this code (§5.4.2).
 * - `UsageError`: the application misused the API; nothing reaches the wire.
 *
 * Every error has a stable `reason` token (like Go's countError names) for logs and metrics, and records who
 * caused it: 'local' (we detected the peer breaking a rule, or we chose to end it), 'remote' (the peer told
 * us, with RST_STREAM or GOAWAY) or 'application' (our application asked for it).
 */
import { errorCodeName } from '@h2ts/frames'

export type ErrorOrigin = 'local' | 'remote' | 'application'

const BRAND = Symbol.for('h2ts.Http2Error')

export class Http2Error extends Error {
  /** RFC 9113 §7 error code (for UsageError: 0, never sent). */
  readonly code: number
  readonly reason: string
  readonly origin: ErrorOrigin
  readonly [BRAND] = true

  constructor(code: number, reason: string, message: string, origin: ErrorOrigin) {
    super(message)
    this.name = 'Http2Error'
    this.code = code
    this.reason = reason
    this.origin = origin
  }

  /** The RFC name of the code, e.g. 'PROTOCOL_ERROR'. */
  get codeName(): string {
    return errorCodeName(this.code)
  }
}

export class ConnectionError extends Http2Error {
  readonly scope = 'connection' as const
  constructor(code: number, reason: string, message: string, origin: ErrorOrigin = 'local') {
    super(code, reason, `${errorCodeName(code)} (${reason}): ${message}`, origin)
    this.name = 'ConnectionError'
  }
}

export class StreamError extends Http2Error {
  readonly scope = 'stream' as const
  readonly streamId: number
  /**
   * The peer did not process the stream (REFUSED_STREAM, or above a GOAWAY's last stream id), so it can be
   * retried on another connection whatever its method (RFC 9113 §8.7).
   */
  readonly retryable: boolean
  constructor(
    streamId: number,
    code: number,
    reason: string,
    message: string,
    origin: ErrorOrigin = 'local',
    retryable = false,
  ) {
    super(code, reason, `stream ${streamId}: ${errorCodeName(code)} (${reason}): ${message}`, origin)
    this.name = 'StreamError'
    this.streamId = streamId
    this.retryable = retryable
  }
}

export class UsageError extends Http2Error {
  readonly scope = 'usage' as const
  constructor(reason: string, message: string) {
    super(0, reason, message, 'application')
    this.name = 'UsageError'
  }
}

export function isHttp2Error(value: unknown): value is Http2Error {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
}

export function isConnectionError(value: unknown): value is ConnectionError {
  return isHttp2Error(value) && (value as { scope?: unknown }).scope === 'connection'
}

export function isStreamError(value: unknown): value is StreamError {
  return isHttp2Error(value) && (value as { scope?: unknown }).scope === 'stream'
}

export function isUsageError(value: unknown): value is UsageError {
  return isHttp2Error(value) && (value as { scope?: unknown }).scope === 'usage'
}
