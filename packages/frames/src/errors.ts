import { ErrorCode, errorCodeName, frameTypeName } from './constants.js'

/**
 * Stable names for every rule the codec enforces, for logs and metrics (the gateway counts them). Each maps
 * to one MUST of the RFCs; the comment gives the section.
 */
export type FrameErrorReason =
  // RFC 9113 §4.2: length above the local SETTINGS_MAX_FRAME_SIZE
  | 'frame-too-large'
  // RFC 9113 §6.1, §6.2, §6.6: Pad Length reaches past the end of the payload
  | 'pad-too-long'
  // RFC 9113 §4.2: too small to hold the fields its flags announce
  | 'data-too-short'
  | 'headers-too-short'
  | 'push-promise-too-short'
  | 'goaway-too-short'
  | 'priority-update-too-short'
  // RFC 9113 §6.3, §6.4, §6.5, §6.7, §6.9: fixed lengths
  | 'priority-bad-length'
  | 'rst-stream-bad-length'
  | 'settings-bad-length'
  | 'settings-ack-with-payload'
  | 'ping-bad-length'
  | 'window-update-bad-length'
  // frames that need a stream, and frames that belong to the connection (stream 0)
  | 'data-stream-0' // §6.1
  | 'headers-stream-0' // §6.2
  | 'priority-stream-0' // §6.3
  | 'rst-stream-stream-0' // §6.4
  | 'settings-not-stream-0' // §6.5
  | 'push-promise-stream-0' // §6.6
  | 'ping-not-stream-0' // §6.7
  | 'goaway-not-stream-0' // §6.8
  | 'continuation-stream-0' // §6.10
  | 'priority-update-not-stream-0' // RFC 9218 §7.1
  // field values
  | 'push-promise-bad-promised-id' // §6.6 + §5.1.1: 0 or odd is never a valid server-initiated stream
  | 'window-update-zero-increment' // §6.9
  | 'priority-update-stream-0' // RFC 9218 §7.1: Prioritized Stream ID 0
  | 'settings-enable-push-invalid' // §6.5.2: not 0 or 1
  | 'settings-initial-window-size-too-large' // §6.5.2: above 2^31-1
  | 'settings-max-frame-size-invalid' // §6.5.2: outside 2^14..2^24-1
  | 'settings-enable-connect-protocol-invalid' // RFC 8441 §3: not 0 or 1
  | 'settings-no-rfc7540-priorities-invalid' // RFC 9218 §2.1: not 0 or 1
  // the connection preface (RFC 9113 §3.4)
  | 'preface-http1' // the bytes look like an HTTP/1.x request
  | 'preface-tls' // the bytes look like a TLS handshake
  | 'preface-mismatch' // something else
  | 'preface-not-settings' // the first frame is not a SETTINGS frame (or is a SETTINGS ACK)

/** A connection error ends the connection (GOAWAY); a stream error ends one stream (RST_STREAM). RFC 9113 §5.4. */
export type ErrorScope = 'connection' | 'stream'

const FRAME_ERROR = Symbol.for('h2ts.FrameError')
const PREFACE_ERROR = Symbol.for('h2ts.PrefaceError')
const USAGE_ERROR = Symbol.for('h2ts.FrameUsageError')

/** The frame header fields an error was found in (when there was a frame header). */
export interface FrameErrorContext {
  /** Type of the offending frame; -1 for preface errors that precede every frame. */
  readonly frameType: number
  readonly flags: number
  /** Payload length from the frame header. */
  readonly length: number
}

/**
 * The peer broke a rule of the framing layer. `code` is the RFC 9113 §7 error code to send, `scope` says whether
 * it ends the connection (GOAWAY) or only stream `streamId` (RST_STREAM), and `reason` names the rule.
 *
 * The decoder throws connection errors (and stays dead afterwards) but yields stream errors in sequence with
 * the frames, so decoding goes on with the next frame; see FrameDecoder.
 */
export class FrameError extends Error {
  readonly code: number
  readonly scope: ErrorScope
  /** The stream the error is about: the frame's stream for stream errors; the frame's stream (often 0) otherwise. */
  readonly streamId: number
  readonly reason: FrameErrorReason
  /** Type of the offending frame, or -1 when the error is not about a frame (the preface). */
  readonly frameType: number
  readonly flags: number
  /** Payload length from the offending frame's header. */
  readonly length: number
  readonly [FRAME_ERROR] = true

  constructor(
    code: number,
    scope: ErrorScope,
    reason: FrameErrorReason,
    streamId: number,
    context: FrameErrorContext,
    detail: string,
  ) {
    const where =
      context.frameType >= 0 ? `${frameTypeName(context.frameType)} frame on stream ${streamId}` : 'preface'
    super(`${errorCodeName(code)} (${scope} error, ${reason}): ${detail} [${where}]`)
    this.name = 'FrameError'
    this.code = code
    this.scope = scope
    this.reason = reason
    this.streamId = streamId
    this.frameType = context.frameType
    this.flags = context.flags
    this.length = context.length
  }
}

/** A FrameError with code FRAME_SIZE_ERROR (RFC 9113 §4.2). */
export class FrameSizeError extends FrameError {
  constructor(
    scope: ErrorScope,
    reason: FrameErrorReason,
    streamId: number,
    context: FrameErrorContext,
    detail: string,
  ) {
    super(ErrorCode.FRAME_SIZE_ERROR, scope, reason, streamId, context, detail)
    this.name = 'FrameSizeError'
  }
}

/** What the bytes that failed to be a client connection preface look like. */
export type PrefaceLooksLike = 'http1' | 'tls' | 'unknown'

/**
 * The bytes at the start of a connection are not the HTTP/2 client preface (RFC 9113 §3.4): a connection error
 * of type PROTOCOL_ERROR. `looksLike` tells a server whether it can answer in HTTP/1.1 (`'http1'`), or whether
 * a TLS client reached a cleartext port (`'tls'`). `received` holds every byte the decoder was given so far
 * (the preface attempt), so an HTTP/1.1 parser can take over from the start.
 */
export class PrefaceError extends FrameError {
  readonly looksLike: PrefaceLooksLike
  readonly received: Uint8Array
  readonly [PREFACE_ERROR] = true

  constructor(looksLike: PrefaceLooksLike, received: Uint8Array) {
    const reason: FrameErrorReason =
      looksLike === 'http1' ? 'preface-http1' : looksLike === 'tls' ? 'preface-tls' : 'preface-mismatch'
    const detail =
      looksLike === 'http1'
        ? 'expected the HTTP/2 client preface, got what looks like an HTTP/1.x request'
        : looksLike === 'tls'
          ? 'expected the HTTP/2 client preface, got what looks like a TLS handshake (TLS sent to a cleartext port?)'
          : 'expected the HTTP/2 client preface "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"'
    super(ErrorCode.PROTOCOL_ERROR, 'connection', reason, 0, { frameType: -1, flags: 0, length: 0 }, detail)
    this.name = 'PrefaceError'
    this.looksLike = looksLike
    this.received = received
  }
}

/** The API was called with values the wire format cannot carry (never caused by the peer). */
export class FrameUsageError extends Error {
  readonly [USAGE_ERROR] = true
  constructor(message: string) {
    super(message)
    this.name = 'FrameUsageError'
  }
}

function branded(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
}

/** True for a FrameError (any subclass) from any copy of this package: checks a brand, not the prototype chain. */
export function isFrameError(value: unknown): value is FrameError {
  return branded(value, FRAME_ERROR)
}

/** True for a PrefaceError from any copy of this package. */
export function isPrefaceError(value: unknown): value is PrefaceError {
  return branded(value, PREFACE_ERROR)
}

/** True for a FrameUsageError from any copy of this package. */
export function isFrameUsageError(value: unknown): value is FrameUsageError {
  return branded(value, USAGE_ERROR)
}

/** A connection error of type PROTOCOL_ERROR about the frame described by the arguments. */
export function protocolError(
  reason: FrameErrorReason,
  frameType: number,
  flags: number,
  streamId: number,
  length: number,
  detail: string,
  scope: ErrorScope = 'connection',
): FrameError {
  return new FrameError(
    ErrorCode.PROTOCOL_ERROR,
    scope,
    reason,
    streamId,
    { frameType, flags, length },
    detail,
  )
}

/** A FRAME_SIZE_ERROR about the frame described by the arguments. */
export function frameSizeError(
  reason: FrameErrorReason,
  frameType: number,
  flags: number,
  streamId: number,
  length: number,
  detail: string,
  scope: ErrorScope = 'connection',
): FrameSizeError {
  return new FrameSizeError(scope, reason, streamId, { frameType, flags, length }, detail)
}
