/**
 * A binary min-heap whose items know their own position, so any item can be removed or re-keyed in
 * O(log n) (the schedulers move streams between queues when priorities change).
 */
export interface HeapItem {
  /** Position in the heap, or -1 when not in one. Owned by the heap. */
  heapIndex: number
}

export class IndexedHeap<T extends HeapItem> {
  readonly #items: T[] = []

  /** `less(a, b)`: a comes out before b. */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.#items.length
  }

  peek(): T | undefined {
    return this.#items[0]
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.#items[item.heapIndex] === item
  }

  push(item: T): void {
    item.heapIndex = this.#items.length
    this.#items.push(item)
    this.#up(item.heapIndex)
  }

  pop(): T | undefined {
    const top = this.#items[0]
    if (top !== undefined) this.remove(top)
    return top
  }

  remove(item: T): void {
    if (!this.has(item)) return
    const at = item.heapIndex
    const last = this.#items.pop()!
    item.heapIndex = -1
    if (last === item) return
    this.#items[at] = last
    last.heapIndex = at
    this.#down(at)
    this.#up(last.heapIndex)
  }

  /** The item's key changed: restore the heap order around it. */
  update(item: T): void {
    if (!this.has(item)) return
    this.#down(item.heapIndex)
    this.#up(item.heapIndex)
  }

  #up(at: number): void {
    const items = this.#items
    const item = items[at]!
    while (at > 0) {
      const parentAt = (at - 1) >> 1
      const parent = items[parentAt]!
      if (!this.less(item, parent)) break
      items[at] = parent
      parent.heapIndex = at
      at = parentAt
    }
    items[at] = item
    item.heapIndex = at
  }

  #down(at: number): void {
    const items = this.#items
    const n = items.length
    const item = items[at]!
    for (;;) {
      let child = 2 * at + 1
      if (child >= n) break
      const right = child + 1
      if (right < n && this.less(items[right]!, items[child]!)) child = right
      if (!this.less(items[child]!, item)) break
      items[at] = items[child]!
      items[at]!.heapIndex = at
      at = child
    }
    items[at] = item
    item.heapIndex = at
  }
}
