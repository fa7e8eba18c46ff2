/**
 * RFC 9218 extensible priorities: eight urgency buckets, 0 first (§4.1). Inside a bucket (§10), the
 * non-incremental streams go one at a time, lowest stream id first, each until it has nothing more to
 * send; then the incremental ones share what is left in turn, a frame each. Signals come from the
 * `priority` request header (given at `open`), from PRIORITY_UPDATE frames and from the application
 * (`prioritize`); RFC 7540 signals are ignored.
 *
 * A PRIORITY_UPDATE may arrive before its stream opens (§7.1): such priorities are remembered, at most
 * `maxIdlePriorities` of them (the oldest forgotten first), and win over the header when the stream opens.
 * Each operation is O(log n) (the non-incremental heaps) or O(1) amortised (the incremental queues).
 */
import { IdMap } from '../id-map.js'
import { type HeapItem, IndexedHeap } from './heap.js'
import {
  DEFAULT_URGENCY,
  type PrioritySignal,
  type Rfc9218Priority,
  type WriteScheduler,
} from './scheduler.js'

class Entry implements HeapItem {
  heapIndex = -1
  urgency = DEFAULT_URGENCY
  incremental = false
  ready = false
  /** Bumped whenever the entry leaves an incremental queue, so stale queue slots are skipped. */
  ticket = 0
  constructor(readonly id: number) {}
}

class Bucket {
  readonly sequential = new IndexedHeap<Entry>((a, b) => a.id < b.id)
  /** Consumed slots are cleared: an old array must not keep closed streams' entries alive (see IdMap). */
  incremental: Array<{ entry: Entry; ticket: number } | undefined> = []
  head = 0
  /** Ready incremental entries (the queue also holds stale slots). */
  incrementalReady = 0

  get empty(): boolean {
    return this.sequential.size === 0 && this.incrementalReady === 0
  }
}

export interface Rfc9218SchedulerOptions {
  /** Priorities remembered for streams not yet open (PRIORITY_UPDATE before HEADERS; default 100). */
  maxIdlePriorities?: number
}

export class Rfc9218Scheduler implements WriteScheduler {
  readonly #entries = new IdMap<Entry>()
  readonly #buckets: Bucket[] = Array.from({ length: 8 }, () => new Bucket())
  readonly #idle = new Map<number, Rfc9218Priority>()
  readonly #maxIdle: number
  #ready = 0

  constructor(options: Rfc9218SchedulerOptions = {}) {
    this.#maxIdle = Math.max(0, options.maxIdlePriorities ?? 100)
  }

  /** A stream's priority as the scheduler has it (undefined when it does not know the stream). */
  priorityOf(streamId: number): { urgency: number; incremental: boolean } | undefined {
    const entry = this.#entries.get(streamId)
    if (entry !== undefined) return { urgency: entry.urgency, incremental: entry.incremental }
    const idle = this.#idle.get(streamId)
    return idle === undefined ? undefined : { urgency: idle.urgency, incremental: idle.incremental }
  }

  /** Priorities remembered for streams that are not open. */
  get idlePriorities(): number {
    return this.#idle.size
  }

  open(streamId: number, signals?: readonly PrioritySignal[]): void {
    const entry = this.#entry(streamId)
    const header = signals?.find((s): s is Rfc9218Priority => s.scheme === 'rfc9218')
    const early = this.#idle.get(streamId)
    this.#idle.delete(streamId)
    const signal = early ?? header
    if (signal !== undefined) this.#set(entry, signal)
  }

  push(streamId: number): void {
    const entry = this.#entry(streamId)
    if (entry.ready) return
    entry.ready = true
    this.#ready++
    this.#enqueue(entry)
  }

  pop(): number | undefined {
    if (this.#ready === 0) return undefined
    for (const bucket of this.#buckets) {
      if (bucket.empty) continue
      const first = bucket.sequential.pop()
      if (first !== undefined) return this.#taken(first)
      while (bucket.head < bucket.incremental.length) {
        const slot = bucket.incremental[bucket.head]!
        bucket.incremental[bucket.head++] = undefined
        if (bucket.head > 1024 && bucket.head * 2 > bucket.incremental.length) {
          // Drop the consumed prefix now and then so the array does not grow forever.
          bucket.incremental = bucket.incremental.slice(bucket.head)
          bucket.head = 0
        }
        if (slot.ticket !== slot.entry.ticket) continue
        slot.entry.ticket++
        bucket.incrementalReady--
        return this.#taken(slot.entry)
      }
    }
    return undefined
  }

  hasReady(): boolean {
    return this.#ready > 0
  }

  remove(streamId: number): void {
    const entry = this.#entries.get(streamId)
    this.#idle.delete(streamId)
    if (entry === undefined) return
    this.#dequeue(entry)
    if (entry.ready) this.#ready--
    entry.ready = false
    this.#entries.delete(streamId)
  }

  prioritize(streamId: number, priority: PrioritySignal): void {
    if (priority.scheme !== 'rfc9218') return
    const entry = this.#entries.get(streamId)
    if (entry !== undefined) {
      this.#set(entry, priority)
      return
    }
    // Not open (yet): remember it for when it opens, within bounds (§7.1).
    this.#idle.delete(streamId)
    this.#idle.set(streamId, priority)
    while (this.#idle.size > this.#maxIdle) this.#idle.delete(this.#idle.keys().next().value as number)
  }

  #entry(streamId: number): Entry {
    let entry = this.#entries.get(streamId)
    if (entry === undefined) {
      entry = new Entry(streamId)
      this.#entries.set(streamId, entry)
    }
    return entry
  }

  /** Reprioritisation takes effect on the next pop: a ready entry moves to its new bucket now. */
  #set(entry: Entry, { urgency, incremental }: Rfc9218Priority): void {
    const u = Math.min(7, Math.max(0, Math.trunc(urgency)))
    if (u === entry.urgency && incremental === entry.incremental) return
    if (entry.ready) this.#dequeue(entry)
    entry.urgency = u
    entry.incremental = incremental
    if (entry.ready) this.#enqueue(entry)
  }

  #enqueue(entry: Entry): void {
    const bucket = this.#buckets[entry.urgency]!
    if (entry.incremental) {
      bucket.incremental.push({ entry, ticket: entry.ticket })
      bucket.incrementalReady++
    } else {
      bucket.sequential.push(entry)
    }
  }

  #dequeue(entry: Entry): void {
    if (!entry.ready) return
    const bucket = this.#buckets[entry.urgency]!
    if (entry.incremental) {
      entry.ticket++
      bucket.incrementalReady--
    } else {
      bucket.sequential.remove(entry)
    }
  }

  #taken(entry: Entry): number {
    entry.ready = false
    this.#ready--
    return entry.id
  }
}
