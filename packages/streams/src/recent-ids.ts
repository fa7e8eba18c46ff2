import { IdMap } from './id-map.js'

/**
 * A bounded memory of stream ids, oldest forgotten first, each with a number attached (a deadline, say).
 *
 * A ring holds the ids in insertion order with their values, and an IdMap the slot of each id: evicting the
 * oldest is O(1) however many ids came and went (a Map or Set alone would have to walk past its deleted
 * entries to find the oldest). The ring grows as ids arrive, up to `capacity`, so an idle connection pays
 * for none of it.
 */
export class RecentIds {
  readonly #slotOf = new IdMap<number>()
  readonly #ids: number[] = []
  readonly #values: number[] = []
  #next = 0

  constructor(readonly capacity: number) {}

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
    if (slot < this.#ids.length) {
      const old = this.#ids[slot]!
      if (old >= 0 && this.#slotOf.get(old) === slot) this.#slotOf.delete(old)
    }
    this.#ids[slot] = id
    this.#values[slot] = value
    this.#slotOf.set(id, slot)
    this.#next = (slot + 1) % this.capacity
  }

  delete(id: number): void {
    const slot = this.#slotOf.get(id)
    if (slot === undefined) return
    this.#slotOf.delete(id)
    this.#ids[slot] = -1
  }
}
