/**
 * The write scheduler decides which stream's next frame goes out (DESIGN.md "Scheduling and priority",
 * after Go's WriteScheduler). The connection tells it which streams have something sendable; it answers
 * with the next one to serve. Control frames never pass through it: they always go first.
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
}
