/**
 * The encoder's dynamic table: the ring buffer plus maps from fields to insertion ids, so the encoder finds
 * a field in O(1). Ids stay valid as other entries are evicted; an entry's map slot is dropped only if it
 * still points at the entry being evicted (a newer copy of the same field may have taken it over).
 */
import { DynamicTable } from './dynamic-table.js'
import { STATIC_TABLE_LENGTH } from './static-table.js'

export class EncoderTable extends DynamicTable {
  /** name -> value -> id of the newest entry with that field */
  readonly #pairs = new Map<string, Map<string, number>>()
  /** name -> id of the newest entry with that name */
  readonly #names = new Map<string, number>()

  /** HPACK index (62 and up) of the newest entry equal to name and value, or 0. */
  pairIndex(name: string, value: string): number {
    const id = this.#pairs.get(name)?.get(value)
    return id === undefined ? 0 : STATIC_TABLE_LENGTH + this.nextId - id
  }

  /** HPACK index of the newest entry with this name, or 0. */
  nameIndex(name: string): number {
    const id = this.#names.get(name)
    return id === undefined ? 0 : STATIC_TABLE_LENGTH + this.nextId - id
  }

  protected override onAdd(id: number, name: string, value: string): void {
    let values = this.#pairs.get(name)
    if (values === undefined) {
      values = new Map()
      this.#pairs.set(name, values)
    }
    values.set(value, id)
    this.#names.set(name, id)
  }

  protected override onEvict(id: number, name: string, value: string): void {
    const values = this.#pairs.get(name)
    if (values !== undefined && values.get(value) === id) {
      values.delete(value)
      if (values.size === 0) this.#pairs.delete(name)
    }
    if (this.#names.get(name) === id) this.#names.delete(name)
  }
}
