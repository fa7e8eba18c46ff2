/**
 * The encoder's dynamic table: the ring buffer plus a map from names to their entries' insertion ids, so
 * the encoder finds a field in one or two lookups. Ids stay valid as other entries are evicted; an id is
 * dropped from the map only if it still points at the entry being evicted (a newer copy of the same
 * field may have taken its place).
 */
import { DynamicTable } from './dynamic-table.js'
import { STATIC_TABLE_LENGTH } from './static-table.js'

interface NameIds {
  /** Id of the newest entry with this name. */
  newest: number
  /** value -> id of the newest entry with this name and value */
  values: Map<string, number>
}

export class EncoderTable extends DynamicTable {
  readonly #byName = new Map<string, NameIds>()

  /**
   * Looks a field up: a positive result is the HPACK index (62 and up) of an entry equal to name and
   * value; a negative one is minus the index of the newest entry with that name; 0 means neither.
   */
  find(name: string, value: string): number {
    const ids = this.#byName.get(name)
    if (ids === undefined) return 0
    const id = ids.values.get(value)
    return id !== undefined
      ? STATIC_TABLE_LENGTH + this.nextId - id
      : -(STATIC_TABLE_LENGTH + this.nextId - ids.newest)
  }

  protected override onAdd(id: number, name: string, value: string): void {
    const ids = this.#byName.get(name)
    if (ids === undefined) {
      this.#byName.set(name, { newest: id, values: new Map([[value, id]]) })
    } else {
      ids.newest = id
      ids.values.set(value, id)
    }
  }

  protected override onEvict(id: number, name: string, value: string): void {
    const ids = this.#byName.get(name)!
    // Entries leave oldest first: if the newest entry of a name goes, it was the last one.
    if (ids.newest === id) {
      this.#byName.delete(name)
      return
    }
    if (ids.values.get(value) === id) ids.values.delete(value)
  }
}
