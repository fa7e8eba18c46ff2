// The RFC 7540 §5.3 dependency tree: the tree operations of §5.3.1 and §5.3.3 (checked against the RFC's
// own figures), bandwidth shared by weight in bytes, dependents served after their parent, and bounded
// state for idle and closed streams (§5.3.4, CVE-2019-9513).
import { describe, expect, it } from 'vitest'
import { type Rfc7540Priority, Rfc7540Scheduler } from '../../src/index.js'

const dep = (dependency: number, weight = 16, exclusive = false): Rfc7540Priority => ({
  scheme: 'rfc7540',
  dependency,
  weight,
  exclusive,
})

/** The tree as `id: parent` lines, for comparing against the RFC's figures. */
function shape(tree: Rfc7540Scheduler, ids: number[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const id of ids) out[id] = tree.describe(id)?.parent ?? -1
  return out
}

/** Serves `frames` frames of `size` bytes; returns the bytes each stream got. Streams stay ready. */
function serve(tree: Rfc7540Scheduler, frames: number, size = 16384): Map<number, number> {
  const got = new Map<number, number>()
  for (let i = 0; i < frames; i++) {
    const id = tree.pop()
    if (id === undefined) break
    tree.sent(id, size)
    got.set(id, (got.get(id) ?? 0) + size)
    tree.push(id)
  }
  return got
}

// A=1, B=3, C=5, D=7, E=9, F=11 (client stream ids).
const [A, B, C, D, E, F] = [1, 3, 5, 7, 9, 11]

describe('RFC 7540 §5.3 tree operations', () => {
  it('§5.3.1 a new stream depends on stream 0 with weight 16 unless its HEADERS say otherwise', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.open(B, [dep(A, 200)])
    expect(tree.describe(A)).toEqual({ parent: 0, weight: 16, children: [B] })
    expect(tree.describe(B)).toEqual({ parent: A, weight: 200, children: [] })
  })

  it('§5.3.1 exclusive: the new stream becomes the sole child, the former children its own', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.open(B, [dep(A)])
    tree.open(C, [dep(A)])
    tree.open(D, [dep(A, 16, true)])
    expect(shape(tree, [A, B, C, D])).toEqual({ [A]: 0, [B]: D, [C]: D, [D]: A })
  })

  // The tree of the §5.3.3 figures: A under the root; B, C under A; D, E under C; F under D.
  function figure(): Rfc7540Scheduler {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.open(B, [dep(A)])
    tree.open(C, [dep(A)])
    tree.open(D, [dep(C)])
    tree.open(E, [dep(C)])
    tree.open(F, [dep(D)])
    return tree
  }

  it('§5.3.3 moving A under its dependent D (non-exclusive): D first takes A’s place', () => {
    const tree = figure()
    tree.prioritize(A, dep(D))
    expect(shape(tree, [A, B, C, D, E, F])).toEqual({ [A]: D, [B]: A, [C]: A, [D]: 0, [E]: C, [F]: D })
  })

  it('§5.3.3 moving A under its dependent D (exclusive): F becomes A’s child too', () => {
    const tree = figure()
    tree.prioritize(A, dep(D, 16, true))
    expect(shape(tree, [A, B, C, D, E, F])).toEqual({ [A]: D, [B]: A, [C]: A, [D]: 0, [E]: C, [F]: A })
  })

  it('§5.3.1 a dependency on a stream not in the tree gives that stream a default node', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A, [dep(99, 50)])
    expect(tree.describe(99)).toEqual({ parent: 0, weight: 16, children: [A] })
    expect(tree.describe(A)?.weight).toBe(50)
  })

  it('§5.3.1 a stream depending on itself is left alone (the engine resets it)', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A, [dep(0, 99)])
    tree.prioritize(A, dep(A, 5))
    expect(tree.describe(A)).toEqual({ parent: 0, weight: 99, children: [] })
  })

  it('signals of the other scheme are ignored', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A, [{ scheme: 'rfc9218', urgency: 0, incremental: false }])
    tree.prioritize(A, { scheme: 'rfc9218', urgency: 7, incremental: true })
    expect(tree.describe(A)).toEqual({ parent: 0, weight: 16, children: [] })
  })
})

describe('RFC 7540 §5.3 scheduling', () => {
  it('§5.3.2 siblings share bytes in proportion to weight: 3:1', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A, [dep(0, 192)])
    tree.open(B, [dep(0, 64)])
    tree.push(A)
    tree.push(B)
    const got = serve(tree, 400)
    expect(got.get(A)! / got.get(B)!).toBeCloseTo(3, 1)
  })

  it('§5.3.2 weights share bytes, not frames: small frames from the heavy stream do not beat large ones', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A, [dep(0, 16)])
    tree.open(B, [dep(0, 16)])
    tree.push(A)
    tree.push(B)
    const bytes = new Map<number, number>()
    for (let i = 0; i < 1000; i++) {
      const id = tree.pop()!
      const size = id === A ? 1000 : 16000 // A's frames are 16 times smaller
      tree.sent(id, size)
      bytes.set(id, (bytes.get(id) ?? 0) + size)
      tree.push(id)
    }
    expect(bytes.get(A)! / bytes.get(B)!).toBeCloseTo(1, 1)
  })

  it('§5.3.1 a dependent is served only while its parent cannot send', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.open(B, [dep(A)])
    tree.push(B)
    tree.push(A)
    expect(serve(tree, 5).get(B)).toBeUndefined()
    expect(tree.pop()).toBe(A)
    // A has nothing more: B goes.
    expect(tree.pop()).toBe(B)
    expect(tree.pop()).toBeUndefined()
    expect(tree.hasReady()).toBe(false)
  })

  it('a subtree shares its parent’s share: A (w 16, two children) against B (w 16)', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.open(B)
    tree.open(C, [dep(A)])
    tree.open(D, [dep(A)])
    for (const id of [B, C, D]) tree.push(id)
    const got = serve(tree, 400)
    expect(got.get(B)! / (got.get(C)! + got.get(D)!)).toBeCloseTo(1, 1)
    expect(got.get(C)! / got.get(D)!).toBeCloseTo(1, 1)
  })

  it('reprioritisation takes effect on the next pop', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.open(B)
    tree.push(A)
    tree.push(B)
    serve(tree, 4)
    tree.prioritize(A, dep(B, 16, true))
    expect([...serve(tree, 5).keys()]).toEqual([B])
  })

  it('a new stream starts at the current virtual time: no banked credit', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.push(A)
    serve(tree, 100)
    tree.open(B)
    tree.push(B)
    const got = serve(tree, 100)
    expect(got.get(A)! / got.get(B)!).toBeCloseTo(1, 1)
  })
})

describe('RFC 7540 §5.3.4 bounded state (CVE-2019-9513)', () => {
  it('a closed stream keeps its dependents in place; past the cap they move to its parent, sharing its weight', () => {
    const tree = new Rfc7540Scheduler({ maxClosedNodes: 1 })
    tree.open(A, [dep(0, 16)])
    tree.open(B, [dep(A, 8)])
    tree.open(C, [dep(A, 24)])
    tree.remove(A)
    expect(tree.describe(B)?.parent).toBe(A)
    tree.open(D)
    tree.open(E, [dep(D)])
    tree.remove(D) // a second closed node: A, the oldest, leaves the tree
    expect(tree.describe(A)).toBeUndefined()
    expect(tree.describe(B)).toEqual({ parent: 0, weight: 4, children: [] })
    expect(tree.describe(C)).toEqual({ parent: 0, weight: 12, children: [] })
    expect(tree.describe(E)?.parent).toBe(D)
  })

  it('a closed stream with no dependents is forgotten at once', () => {
    const tree = new Rfc7540Scheduler()
    tree.open(A)
    tree.remove(A)
    expect(tree.size).toBe(0)
  })

  it('PRIORITY frames naming endless idle streams keep at most maxIdleNodes of them', () => {
    const tree = new Rfc7540Scheduler({ maxIdleNodes: 10 })
    tree.open(A)
    tree.push(A)
    for (let i = 0; i < 100_000; i++) {
      const id = 3 + 2 * i
      tree.prioritize(id, dep(i % 3 === 0 ? A : id + 2, 1 + (i % 256), i % 2 === 0))
    }
    expect(tree.size).toBeLessThanOrEqual(11)
    // A still schedules.
    expect(tree.pop()).toBe(A)
  })

  it('reshuffling a deep chain stays consistent and bounded', () => {
    const tree = new Rfc7540Scheduler({ maxIdleNodes: 50 })
    const ids = Array.from({ length: 50 }, (_, i) => 1 + 2 * i)
    for (const id of ids) tree.open(id, [dep(id === 1 ? 0 : id - 2)])
    for (const id of ids) tree.push(id)
    for (let i = 0; i < 5_000; i++) {
      const a = ids[(i * 7) % ids.length]!
      const b = ids[(i * 13 + 5) % ids.length]!
      if (a !== b) tree.prioritize(a, dep(b, 1 + (i % 256), i % 3 === 0))
    }
    // Every ready stream still comes out exactly once, and nothing else does.
    const out = new Set<number>()
    for (let id = tree.pop(); id !== undefined; id = tree.pop()) out.add(id)
    expect([...out].sort((x, y) => x - y)).toEqual(ids)
    expect(tree.size).toBe(50)
  })
})
