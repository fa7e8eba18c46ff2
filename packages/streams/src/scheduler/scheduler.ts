/**
 * The write scheduler decides which stream's next frame goes out (DESIGN.md "Scheduling and priority",
 * after Go's WriteScheduler). The connection tells it which streams have something sendable; it answers
 * with the next one to serve. Control frames never pass through it: they always go first.
 *
 * The optional methods carry what a priority scheduler needs: when a stream opens (with the priority its
 * HEADERS carried), how many bytes each frame took (so weights share bytes, not frames), and priority
 * signals from the peer or the application. A scheduler ignores signals of a scheme it does not implement.
 */
export interface WriteScheduler {
  /** The stream has a frame ready to send (it may already be scheduled: then nothing changes). */
  push(streamId: number): void
  /** The next stream to write one frame for, removed from the ready set; undefined when none. */
  pop(): number | undefined
  /** Whether any stream is ready. */
  hasReady(): boolean
  /** The stream is gone (closed or reset): forget it. */
  remove(streamId: number): void
  /**
   * A stream opened (before any push for it), with the priority signals its opening HEADERS carried (the
   * RFC 7540 fields, the RFC 9218 `priority` header, or a pushed stream's dependency on its request's).
   */
  open?(streamId: number, signals?: readonly PrioritySignal[]): void
  /** The stream last popped wrote a frame of `bytes` octets (frame header included). */
  sent?(streamId: number, bytes: number): void
  /** A priority signal for a stream (open, or idle: a scheduler may remember a bounded number of those). */
  prioritize?(streamId: number, priority: PrioritySignal): void
}

/** RFC 7540 §5.3 priority: a dependency, a weight 1–256, and the exclusive flag (RFC 9113 §5.3.2). */
export interface Rfc7540Priority {
  scheme: 'rfc7540'
  dependency: number
  weight: number
  exclusive: boolean
}

/** RFC 9218 §4 extensible priority: urgency 0 (highest) to 7, and whether the response is incremental. */
export interface Rfc9218Priority {
  scheme: 'rfc9218'
  urgency: number
  incremental: boolean
}

export type PrioritySignal = Rfc7540Priority | Rfc9218Priority

/** RFC 9218 §4.1, §4.2: urgency 3, not incremental, when nothing is said. */
export const DEFAULT_URGENCY = 3

/** RFC 7540 §5.3.5: every stream starts as a non-exclusive dependent of stream 0 with weight 16. */
export const DEFAULT_WEIGHT = 16
