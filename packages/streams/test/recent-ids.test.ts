import { describe, expect, it } from 'vitest'
import { RecentIds } from '../src/recent-ids.js'

describe('RecentIds', () => {
  it('forgets the oldest id once full, and keeps the values of the rest', () => {
    const r = new RecentIds(3)
    for (const id of [1, 3, 5]) r.add(id, id * 10)
    r.add(7, 70)
    expect([1, 3, 5, 7].map((id) => r.has(id))).toEqual([false, true, true, true])
    expect(r.get(5)).toBe(50)
  })

  it('re-adding an id makes it the newest; a stale ring slot does not evict it later', () => {
    const r = new RecentIds(3)
    r.add(1)
    r.add(3)
    r.add(5)
    r.add(1, 9) // 1 moves to the newest slot
    r.add(7) // evicts 3 (oldest now)
    r.add(9) // evicts 5
    expect([1, 3, 5, 7, 9].map((id) => r.has(id))).toEqual([true, false, false, true, true])
    expect(r.get(1)).toBe(9)
  })

  it('stays bounded over many ids', () => {
    const r = new RecentIds(100)
    for (let id = 1; id < 100_000; id += 2) r.add(id)
    let kept = 0
    for (let id = 1; id < 100_000; id += 2) if (r.has(id)) kept++
    expect(kept).toBe(100)
    expect(r.has(99_999)).toBe(true)
    expect(r.has(99_799)).toBe(false)
  })
})
