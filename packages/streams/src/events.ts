/**
 * What the engine reports, as a discriminated union in the past tense (DESIGN.md "Names").
 *
 * Byte fields (`data`) may be views of the bytes given to `receive()`: they are valid until the next call
 * into the engine. Copy what you keep longer.
 */
import type { HeaderField } from '@h2ts/hpack'
import type { ConnectionError, ErrorOrigin, StreamError } from './errors.js'
import type { RequestHead, ResponseHead } from './headers.js'
import type { Settings } from './settings.js'

export type HeadersKind = 'request' | 'response' | 'informational' | 'trailers'

export interface HeadersReceived {
  type: 'headersReceived'
  streamId: number
  kind: HeadersKind
  fields: HeaderField[]
  endStream: boolean
  /** For kind 'request': the validated pseudo-header fields and content-length. */
  request?: RequestHead
  /** For kinds 'response' and 'informational'. */
  response?: ResponseHead
}

export interface DataReceived {
  type: 'dataReceived'
  streamId: number
  /** The payload without padding. Call `consumed(streamId, data.length)` once the application has it. */
  data: Uint8Array
  endStream: boolean
}

export interface StreamReset {
  type: 'streamReset'
  streamId: number
  code: number
  /** 'remote': the peer sent RST_STREAM (or GOAWAY); 'local': we reset it because of `error`. */
  origin: ErrorOrigin
  error?: StreamError
  /**
   * True when the peer did not process the request (REFUSED_STREAM, or above the last stream id of a
   * GOAWAY), so it can be retried on another connection whatever its method (RFC 9113 §8.7).
   */
  retryable: boolean
}

/**
 * Client: the server promised a pushed response (RFC 9113 §8.4) on `streamId` (the request it belongs to).
 * The response arrives on `promisedStreamId` as `headersReceived` (kind 'response') and `dataReceived`;
 * `resetStream(promisedStreamId, CANCEL)` refuses it.
 */
export interface PushPromised {
  type: 'pushPromised'
  streamId: number
  promisedStreamId: number
  /** The promised request's fields, validated (GET or HEAD, no content). */
  fields: HeaderField[]
  request: RequestHead
}

/** A stream reached "closed" (both sides ended, or a reset). Its id will not be reported again. */
export interface StreamClosed {
  type: 'streamClosed'
  streamId: number
}

/** A stream that could not send for lack of window got some: the adapter may resume writing. */
export interface WindowUpdated {
  type: 'windowUpdated'
  streamId: number
}

/** The stream's queued outbound bytes fell below the low-water mark after `sendData` returned false. */
export interface StreamDrained {
  type: 'streamDrained'
  streamId: number
}

export interface SettingsReceived {
  type: 'settingsReceived'
  /** The peer's settings now in force. */
  settings: Readonly<Settings>
}

export interface SettingsAcknowledged {
  type: 'settingsAcknowledged'
}

export interface PingAcknowledged {
  type: 'pingAcknowledged'
  data: Uint8Array
  /** Milliseconds since the PING was queued, on the engine's clock. */
  rtt: number
}

export interface GoAwayReceived {
  type: 'goAwayReceived'
  lastStreamId: number
  code: number
  debugData: Uint8Array
}

/** The engine found a connection error; GOAWAY is queued and the connection is ending. */
export interface ConnectionFailed {
  type: 'connectionFailed'
  error: ConnectionError
}

/** Nothing more will happen on the connection: write what is queued, then close the transport. */
export interface ConnectionFinished {
  type: 'connectionFinished'
}

export type ConnectionEvent =
  | HeadersReceived
  | DataReceived
  | StreamReset
  | PushPromised
  | StreamClosed
  | WindowUpdated
  | StreamDrained
  | SettingsReceived
  | SettingsAcknowledged
  | PingAcknowledged
  | GoAwayReceived
  | ConnectionFailed
  | ConnectionFinished
