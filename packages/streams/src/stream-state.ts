/**
 * Stream states of RFC 9113 §5.1 and what receiving each frame type does in each, as data (the way
 * python-hyper keeps its state table), so the table can be read against the RFC and tested exhaustively.
 */
import { ErrorCode } from '@h2ts/frames'

export type StreamState =
  | 'idle'
  | 'reserved-local'
  | 'reserved-remote'
  | 'open'
  | 'half-closed-local'
  | 'half-closed-remote'
  | 'closed'

/** Frame types that act on a stream's state. */
export type StreamFrameKind = 'HEADERS' | 'DATA' | 'RST_STREAM' | 'WINDOW_UPDATE' | 'PRIORITY'

/** What receiving a frame does: accept it, or the error (and its scope) the RFC prescribes. */
export type ReceiveRule =
  | { accept: true }
  | { accept: false; scope: 'connection' | 'stream'; code: number; reason: string }

const ok: ReceiveRule = { accept: true }
const conn = (code: number, reason: string): ReceiveRule => ({
  accept: false,
  scope: 'connection',
  code,
  reason,
})
const stream = (code: number, reason: string): ReceiveRule => ({
  accept: false,
  scope: 'stream',
  code,
  reason,
})

/**
 * Receiving each frame kind in each state. 'closed' here is a stream closed for a while (not one we reset a
 * moment ago: frames on those are discarded, §5.1 "closed").
 */
export const RECEIVE_RULES: Readonly<Record<StreamState, Readonly<Record<StreamFrameKind, ReceiveRule>>>> = {
  // §5.1 idle: only HEADERS (opens the stream) and PRIORITY; anything else is a connection PROTOCOL_ERROR.
  idle: {
    HEADERS: ok,
    DATA: conn(ErrorCode.PROTOCOL_ERROR, 'data-on-idle-stream'),
    RST_STREAM: conn(ErrorCode.PROTOCOL_ERROR, 'rst-stream-on-idle-stream'),
    WINDOW_UPDATE: conn(ErrorCode.PROTOCOL_ERROR, 'window-update-on-idle-stream'),
    PRIORITY: ok,
  },
  // §5.1 reserved (local): RST_STREAM, PRIORITY, WINDOW_UPDATE only.
  'reserved-local': {
    HEADERS: conn(ErrorCode.PROTOCOL_ERROR, 'headers-on-reserved-local-stream'),
    DATA: conn(ErrorCode.PROTOCOL_ERROR, 'data-on-reserved-local-stream'),
    RST_STREAM: ok,
    WINDOW_UPDATE: ok,
    PRIORITY: ok,
  },
  // §5.1 reserved (remote): HEADERS, RST_STREAM, PRIORITY only.
  'reserved-remote': {
    HEADERS: ok,
    DATA: conn(ErrorCode.PROTOCOL_ERROR, 'data-on-reserved-remote-stream'),
    RST_STREAM: ok,
    WINDOW_UPDATE: conn(ErrorCode.PROTOCOL_ERROR, 'window-update-on-reserved-remote-stream'),
    PRIORITY: ok,
  },
  open: { HEADERS: ok, DATA: ok, RST_STREAM: ok, WINDOW_UPDATE: ok, PRIORITY: ok },
  'half-closed-local': { HEADERS: ok, DATA: ok, RST_STREAM: ok, WINDOW_UPDATE: ok, PRIORITY: ok },
  // §5.1 half-closed (remote): the peer said it was done; more HEADERS or DATA is a stream STREAM_CLOSED.
  'half-closed-remote': {
    HEADERS: stream(ErrorCode.STREAM_CLOSED, 'headers-after-end-stream'),
    DATA: stream(ErrorCode.STREAM_CLOSED, 'data-after-end-stream'),
    RST_STREAM: ok,
    WINDOW_UPDATE: ok,
    PRIORITY: ok,
  },
  // §5.1 closed, §6.1: DATA is a stream STREAM_CLOSED; HEADERS a connection STREAM_CLOSED; WINDOW_UPDATE and
  // RST_STREAM may still be in flight from before the peer saw the stream end, and are ignored.
  closed: {
    HEADERS: conn(ErrorCode.STREAM_CLOSED, 'headers-on-closed-stream'),
    DATA: stream(ErrorCode.STREAM_CLOSED, 'data-on-closed-stream'),
    RST_STREAM: ok,
    WINDOW_UPDATE: ok,
    PRIORITY: ok,
  },
}

/** The state after sending (local) or receiving (remote) END_STREAM (§5.1). */
export function afterEndStream(state: StreamState, side: 'local' | 'remote'): StreamState {
  switch (state) {
    case 'open':
      return side === 'local' ? 'half-closed-local' : 'half-closed-remote'
    case 'half-closed-local':
      return side === 'remote' ? 'closed' : state
    case 'half-closed-remote':
      return side === 'local' ? 'closed' : state
    default:
      return state
  }
}

/** Streams in these states count toward SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2). */
export function countsTowardConcurrency(state: StreamState): boolean {
  return state === 'open' || state === 'half-closed-local' || state === 'half-closed-remote'
}
