// RFC 9218 extensible priorities: urgency buckets, non-incremental streams one at a time in id order,
// incremental ones in turn (§10), reprioritisation, priorities for streams not open yet (§7.1, bounded).
import { describe, expect, it } from 'vitest'
import { type Rfc9218Priority, Rfc9218Scheduler } from '../../src/index.js'

const u = (urgency: number, incremental = false): Rfc9218Priority => ({
  scheme: 'rfc9218',
  urgency,
  incremental,
})

/** Pops `n` frames; streams with frames left (per `left`) go back in, as the engine does. */
function order(s: Rfc9218Scheduler, left: Map<number, number>, n = 100): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const id = s.pop()
    if (id === undefined) break
    out.push(id)
    const rest = left.get(id)! - 1
    left.set(id, rest)
    if (rest > 0) s.push(id)
  }
  return out
}

function ready(s: Rfc9218Scheduler, frames: Record<number, number>): Map<number, number> {
  const left = new Map<number, number>()
  for (const [id, n] of Object.entries(frames)) {
    s.push(Number(id))
    left.set(Number(id), n)
  }
  return left
}

describe('RFC 9218 scheduling', () => {
  it('§4.1 lower urgency first; default urgency 3', () => {
    const s = new Rfc9218Scheduler()
    s.open(1, [u(7)])
    s.open(3)
    s.open(5, [u(0)])
    expect(order(s, ready(s, { 1: 2, 3: 2, 5: 2 }))).toEqual([5, 5, 3, 3, 1, 1])
  })

  it('§10 non-incremental streams of one urgency go one at a time, lowest id first', () => {
    const s = new Rfc9218Scheduler()
    for (const id of [5, 3, 1]) s.open(id)
    expect(order(s, ready(s, { 5: 2, 3: 2, 1: 2 }))).toEqual([1, 1, 3, 3, 5, 5])
  })

  it('§10 incremental streams of one urgency take turns, after the non-incremental ones', () => {
    const s = new Rfc9218Scheduler()
    s.open(1, [u(3, true)])
    s.open(3, [u(3, true)])
    s.open(5)
    expect(order(s, ready(s, { 1: 3, 3: 3, 5: 2 }))).toEqual([5, 5, 1, 3, 1, 3, 1, 3])
  })

  it('reprioritisation takes effect on the next pop', () => {
    const s = new Rfc9218Scheduler()
    s.open(1)
    s.open(3, [u(5)])
    const left = ready(s, { 1: 5, 3: 5 })
    expect(order(s, left, 2)).toEqual([1, 1])
    s.prioritize(3, u(0))
    expect(order(s, left, 3)).toEqual([3, 3, 3])
    s.prioritize(3, u(6, true))
    expect(order(s, left, 2)).toEqual([1, 1])
  })

  it('RFC 7540 signals are ignored', () => {
    const s = new Rfc9218Scheduler()
    s.open(1, [{ scheme: 'rfc7540', dependency: 0, weight: 256, exclusive: true }])
    s.prioritize(1, { scheme: 'rfc7540', dependency: 3, weight: 1, exclusive: false })
    expect(s.priorityOf(1)).toEqual({ urgency: 3, incremental: false })
  })

  it('§7.1 a priority for a stream not open yet is applied when it opens, over its header', () => {
    const s = new Rfc9218Scheduler()
    s.prioritize(5, u(1, true))
    expect(s.idlePriorities).toBe(1)
    s.open(5, [u(6)])
    expect(s.priorityOf(5)).toEqual({ urgency: 1, incremental: true })
    expect(s.idlePriorities).toBe(0)
  })

  it('priorities for streams not open are bounded (oldest forgotten)', () => {
    const s = new Rfc9218Scheduler({ maxIdlePriorities: 10 })
    for (let i = 0; i < 100_000; i++) s.prioritize(1 + 2 * i, u(i % 8))
    expect(s.idlePriorities).toBe(10)
    expect(s.priorityOf(1)).toBeUndefined()
  })

  it('a removed stream is never popped, and its memory goes', () => {
    const s = new Rfc9218Scheduler()
    s.open(1, [u(2, true)])
    s.open(3)
    s.push(1)
    s.push(3)
    s.remove(1)
    s.remove(3)
    expect(s.hasReady()).toBe(false)
    expect(s.pop()).toBeUndefined()
    expect(s.priorityOf(1)).toBeUndefined()
  })

  it('long-running incremental round robin keeps its queues compact', () => {
    const s = new Rfc9218Scheduler()
    s.open(1, [u(3, true)])
    s.open(3, [u(3, true)])
    const left = ready(s, { 1: 1e9, 3: 1e9 })
    const seen = order(s, left, 20_000)
    expect(seen.filter((id) => id === 1)).toHaveLength(10_000)
  })
})
