import type { WriteScheduler } from './scheduler.js'

/**
 * Serves ready streams in turn, one frame each, so every stream progresses at the same rate whatever
 * order they became ready in.
 */
export class RoundRobinScheduler implements WriteScheduler {
  #queue: number[] = []
  #head = 0
  readonly #ready = new Set<number>()

  push(streamId: number): void {
    if (this.#ready.has(streamId)) return
    this.#ready.add(streamId)
    this.#queue.push(streamId)
  }

  pop(): number | undefined {
    while (this.#head < this.#queue.length) {
      const id = this.#queue[this.#head++]!
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        // Drop the consumed prefix now and then so the array does not grow forever.
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
      if (this.#ready.delete(id)) return id
    }
    return undefined
  }

  hasReady(): boolean {
    return this.#ready.size > 0
  }

  remove(streamId: number): void {
    // Left in the queue; pop() skips ids that are no longer ready.
    this.#ready.delete(streamId)
  }
}
