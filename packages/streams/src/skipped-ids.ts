/**
 * The stream ids a peer jumped over. RFC 9113 §5.1.1: opening stream N closes every idle stream of that
 * peer below N, so an id below the peer's last one names either a stream that was open and closed or one
 * that was never used. The two get different answers (a frame on a closed stream: STREAM_CLOSED; HEADERS
 * on an id that never carried a stream: the ids did not increase, a connection PROTOCOL_ERROR), so the
 * gaps are kept, as ranges: nothing at all for a peer that numbers its streams 1, 3, 5… (as every client
 * does), instead of a memory of every closed stream.
 *
 * At most `capacity` ranges are kept; past that the oldest are forgotten, and their ids are then taken
 * for closed streams (the milder answer).
 */
export class SkippedIds {
  /** First and last skipped id of each range, oldest first (ids only grow, so also in id order). */
  #from: number[] = []
  #to: number[] = []

  constructor(readonly capacity: number) {}

  /** Number of ranges kept. */
  get ranges(): number {
    return this.#from.length
  }

  /** The peer opened `id`; `last` was its previous stream id (0 for none). */
  opened(last: number, id: number): void {
    const expected = last === 0 ? 2 - (id % 2) : last + 2
    if (id <= expected || this.capacity <= 0) return
    this.#from.push(expected)
    this.#to.push(id - 2)
    if (this.#from.length > this.capacity) {
      this.#from.shift()
      this.#to.shift()
    }
  }

  /** Whether the peer skipped `id` (and it is still remembered). */
  has(id: number): boolean {
    // Binary search for the last range starting at or below id: a peer that made many gaps on purpose gets
    // no linear scan out of it.
    let lo = 0
    let hi = this.#from.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.#from[mid]! <= id) lo = mid + 1
      else hi = mid - 1
    }
    if (hi < 0 || id > this.#to[hi]!) return false
    return (id - this.#from[hi]!) % 2 === 0
  }
}
