import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SkippedIds } from '../src/skipped-ids.js'

describe('SkippedIds', () => {
  it('keeps nothing for a peer that numbers its streams 1, 3, 5…', () => {
    const s = new SkippedIds(10)
    let last = 0
    for (let id = 1; id < 2000; id += 2) {
      s.opened(last, id)
      last = id
    }
    expect(s.ranges).toBe(0)
    expect(s.has(1)).toBe(false)
  })

  it('remembers the ids between two streams, of the same parity only', () => {
    const s = new SkippedIds(10)
    s.opened(0, 5) // 1 and 3 skipped
    s.opened(5, 7)
    s.opened(7, 13) // 9 and 11 skipped
    expect([1, 2, 3, 4, 5, 7, 9, 10, 11, 13].map((id) => s.has(id))).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
      true,
      false,
      true,
      false,
    ])
    // Server-pushed (even) ids start at 2.
    const p = new SkippedIds(10)
    p.opened(0, 2)
    p.opened(2, 8)
    expect([2, 4, 6, 8].map((id) => p.has(id))).toEqual([false, true, true, false])
  })

  it('forgets the oldest ranges past its capacity', () => {
    const s = new SkippedIds(2)
    s.opened(0, 5) // [1, 3]
    s.opened(5, 9) // [7]
    s.opened(9, 13) // [11]: [1, 3] forgotten
    expect([1, 3, 7, 11].map((id) => s.has(id))).toEqual([false, false, true, true])
    expect(s.ranges).toBe(2)
  })

  it('agrees with a set of every skipped id, for any increasing sequence of ids', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 60 }), (gaps) => {
        const s = new SkippedIds(1000)
        const skipped = new Set<number>()
        let last = 0
        for (const gap of gaps) {
          const id = (last === 0 ? 1 : last + 2) + 2 * gap
          for (let k = last === 0 ? 1 : last + 2; k < id; k += 2) skipped.add(k)
          s.opened(last, id)
          last = id
        }
        for (let id = 1; id <= last + 4; id++) expect(s.has(id)).toBe(skipped.has(id))
      }),
    )
  })
})
