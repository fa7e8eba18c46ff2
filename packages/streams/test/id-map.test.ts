import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IdMap } from '../src/id-map.js'

type Op = { op: 'set'; id: number; value: number } | { op: 'delete'; id: number } | { op: 'clear' }

// Small id ranges force collisions and wrap-around; the odd/even split mirrors client and server ids.
const id = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }))
const ops = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), id, value: fc.integer() }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), id }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
  ),
  { maxLength: 400 },
)

describe('IdMap', () => {
  it('behaves as a Map for any sequence of set, delete and clear', () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const map = new IdMap<number>()
        const model = new Map<number, number>()
        for (const step of sequence) {
          if (step.op === 'set') {
            map.set(step.id, step.value)
            model.set(step.id, step.value)
          } else if (step.op === 'delete') {
            expect(map.delete(step.id)).toBe(model.delete(step.id))
          } else {
            map.clear()
            model.clear()
          }
          expect(map.size).toBe(model.size)
        }
        for (const [key, value] of model) {
          expect(map.has(key)).toBe(true)
          expect(map.get(key)).toBe(value)
        }
        expect(map.entries()).toEqual([...model].sort((a, b) => a[0] - b[0]))
      }),
      { numRuns: 300 },
    )
  })

  it('finds every entry after deletions inside long probe chains', () => {
    // Seven ids with the same home slot in a 16-slot table (the same hash as IdMap's): one chain of 7.
    const home = (id: number) => Math.imul(id, 0x9e3779b1) >>> 28
    const ids: number[] = []
    for (let id = 1; ids.length < 7; id++) if (home(id) === home(1)) ids.push(id)
    const map = new IdMap<string>(16)
    for (const i of ids) map.set(i, `v${i}`)
    const gone = [ids[2]!, ids[0]!]
    for (const i of gone) map.delete(i)
    for (const i of ids) expect(map.get(i)).toBe(gone.includes(i) ? undefined : `v${i}`)
    expect(map.size).toBe(5)
  })

  it('keeps a window of streams as a connection does: opened in order, closed out of order', () => {
    const map = new IdMap<{ id: number }>()
    const open: number[] = []
    let next = 1
    for (let round = 0; round < 2000; round++) {
      while (open.length < 100) {
        map.set(next, { id: next })
        open.push(next)
        next += 2
      }
      // Close a pseudo-random third of the open streams.
      for (let k = 0; k < 33; k++) {
        const at = (round * 7919 + k * 104729) % open.length
        const [gone] = open.splice(at, 1)
        expect(map.delete(gone!)).toBe(true)
      }
    }
    expect(map.size).toBe(open.length)
    for (const i of open) expect(map.get(i)?.id).toBe(i)
    expect(map.values().map((v) => v.id)).toEqual([...open].sort((a, b) => a - b))
  })

  it('refuses keys that are not stream ids', () => {
    const map = new IdMap<number>()
    expect(() => map.set(0, 1)).toThrow(RangeError)
    expect(() => map.set(-3, 1)).toThrow(RangeError)
    expect(() => map.set(1.5, 1)).toThrow(RangeError)
  })
})
