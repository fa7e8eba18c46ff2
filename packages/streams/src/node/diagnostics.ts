/**
 * What happens on every connection, published on `node:diagnostics_channel` (as undici does), so tools
 * (metrics, tracing, logs) can watch without the application wiring anything through. Publishing costs a
 * branch when nobody subscribes.
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('h2ts:stream:reset', (message) => console.log(message))
 * ```
 */
import { channel } from 'node:diagnostics_channel'
import type { Role } from '../connection.js'

/** The session a message is about; `role` 'server' accepted the connection, 'client' opened it. */
export interface SessionRef {
  /** The NodeSession (ServerSession or ClientSession). */
  readonly session: object
  readonly role: Role
}

export interface SessionCreatedMessage extends SessionRef {}
export interface SessionClosedMessage extends SessionRef {
  readonly error: Error | undefined
}
export interface StreamResetMessage extends SessionRef {
  readonly streamId: number
  readonly code: number
  /** 'sent': we sent RST_STREAM; 'received': the peer did. */
  readonly direction: 'sent' | 'received'
  /** Why we reset it: the engine's violation name, or 'application'. */
  readonly reason: string | undefined
}
export interface GoAwayMessage extends SessionRef {
  readonly code: number
  readonly direction: 'sent' | 'received'
  readonly lastStreamId: number | undefined
}
/** A protocol violation by the peer, by its stable name (e.g. 'window-overflow', 'hpack'). */
export interface ProtocolErrorMessage extends SessionRef {
  readonly scope: 'stream' | 'connection'
  readonly reason: string
  readonly code: number
}
export interface PingAcknowledgedMessage extends SessionRef {
  /** Round-trip time in milliseconds. */
  readonly rtt: number
}

export const channels = {
  sessionCreated: channel('h2ts:session:created'),
  sessionClosed: channel('h2ts:session:closed'),
  streamReset: channel('h2ts:stream:reset'),
  goAway: channel('h2ts:goaway'),
  protocolError: channel('h2ts:protocol-error'),
  pingAcknowledged: channel('h2ts:ping:acknowledged'),
} as const
