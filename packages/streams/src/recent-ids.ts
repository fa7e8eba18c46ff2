/**
 * A bounded memory of stream ids, oldest forgotten first, each with a number attached (a deadline, say).
 *
 * A ring holds the ids in insertion order with their values, and a Map the slot of each id: evicting the
 * oldest is O(1) however many ids came and went (a Map or Set alone would have to walk past its deleted
 * entries to find the oldest).
 */
export class RecentIds {
  readonly #slotOf = new Map<number, number>()
  readonly #ids: Int32Array
  readonly #values: Float64Array
  #next = 0

  constructor(readonly capacity: number) {
    this.#ids = new Int32Array(Math.max(1, capacity)).fill(-1)
    this.#values = new Float64Array(Math.max(1, capacity))
  }

  has(id: number): boolean {
    return this.#slotOf.has(id)
  }

  get(id: number): number | undefined {
    const slot = this.#slotOf.get(id)
    return slot === undefined ? undefined : this.#values[slot]
  }

  /** Remembers `id` (again, as the newest), forgetting the oldest id when full. */
  add(id: number, value = 0): void {
    if (this.capacity <= 0) return
    this.delete(id)
    const slot = this.#next
    const old = this.#ids[slot]!
    if (old >= 0 && this.#slotOf.get(old) === slot) this.#slotOf.delete(old)
    this.#ids[slot] = id
    this.#values[slot] = value
    this.#slotOf.set(id, slot)
    this.#next = (slot + 1) % this.#ids.length
  }

  delete(id: number): void {
    const slot = this.#slotOf.get(id)
    if (slot === undefined) return
    this.#slotOf.delete(id)
    this.#ids[slot] = -1
  }
}
