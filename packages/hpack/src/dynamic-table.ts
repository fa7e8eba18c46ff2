/**
 * The dynamic table, RFC 7541 §2.3.2 and §4: a FIFO of fields, newest first, whose size is the sum of
 * name length + value length + 32 per entry (§4.1), evicting the oldest entries to stay within its capacity.
 *
 * It is a ring buffer of entries addressed by insertion id: the first entry ever added has id 0, the next 1,
 * and so on. HPACK index i (1 = newest) is id `nextId - i`. Ids never change while an entry lives, so an
 * encoder can keep maps from fields to ids that stay valid as older entries are evicted.
 */
export const ENTRY_OVERHEAD = 32

/** Table sizes are HPACK integers: 0..2^32-1 (§5.1). Throws a RangeError for anything else. */
export function checkSize(what: string, size: number): void {
  if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) {
    throw new RangeError(`${what} must be an integer from 0 to 2^32-1, got ${size}`)
  }
}

export class DynamicTable {
  #names: string[] = new Array(16)
  #values: string[] = new Array(16)
  /** A note kept with each entry (the decoder's verdict on the field); made for the first note. */
  #notes: Array<string | undefined> | undefined
  #mask = 15
  /** Id of the oldest live entry. */
  oldestId = 0
  /** Id the next entry will get; `nextId - oldestId` entries are live. */
  nextId = 0
  /** Current size in the sense of §4.1. */
  size = 0
  /** Maximum size (§4.2): set by dynamic table size updates. */
  capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get length(): number {
    return this.nextId - this.oldestId
  }

  /** Name of the entry at dynamic index `i` (1 = newest); the caller checks 1 <= i <= length. */
  nameAt(i: number): string {
    return this.#names[(this.nextId - i) & this.#mask]!
  }

  valueAt(i: number): string {
    return this.#values[(this.nextId - i) & this.#mask]!
  }

  /** The note the entry at dynamic index `i` was added with. */
  noteAt(i: number): string | undefined {
    return this.#notes?.[(this.nextId - i) & this.#mask]
  }

  nameOf(id: number): string {
    return this.#names[id & this.#mask]!
  }

  /** Adds a field as the newest entry (with an optional note), evicting as §4.4 says. */
  add(name: string, value: string, note?: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD
    // §4.4: an entry larger than the whole table empties it and is not added.
    if (entrySize > this.capacity) {
      while (this.nextId > this.oldestId) this.evictOldest()
      return
    }
    while (this.size + entrySize > this.capacity) this.evictOldest()
    if (this.nextId - this.oldestId > this.#mask) this.#grow()
    const slot = this.nextId & this.#mask
    this.#names[slot] = name
    this.#values[slot] = value
    // A slot is reused only after its entry was evicted, which cleared its note.
    if (note !== undefined) {
      this.#notes ??= new Array(this.#mask + 1)
      this.#notes[slot] = note
    }
    this.nextId++
    this.size += entrySize
    this.onAdd(this.nextId - 1, name, value)
  }

  /** Sets the maximum size, evicting until the table fits (§4.3). */
  setCapacity(capacity: number): void {
    this.capacity = capacity
    while (this.size > capacity) this.evictOldest()
  }

  protected evictOldest(): void {
    const slot = this.oldestId & this.#mask
    const name = this.#names[slot]!
    const value = this.#values[slot]!
    this.size -= name.length + value.length + ENTRY_OVERHEAD
    // Drop the references so evicted strings can be collected.
    this.#names[slot] = ''
    this.#values[slot] = ''
    if (this.#notes !== undefined) this.#notes[slot] = undefined
    this.onEvict(this.oldestId, name, value)
    this.oldestId++
  }

  /** Hooks for an encoder's lookup maps. */
  protected onAdd(_id: number, _name: string, _value: string): void {}
  protected onEvict(_id: number, _name: string, _value: string): void {}

  #grow(): void {
    const oldMask = this.#mask
    const size = (oldMask + 1) * 2
    const names = new Array<string>(size)
    const values = new Array<string>(size)
    const oldNotes = this.#notes
    const notes = oldNotes === undefined ? undefined : new Array<string | undefined>(size)
    for (let id = this.oldestId; id < this.nextId; id++) {
      names[id & (size - 1)] = this.#names[id & oldMask]!
      values[id & (size - 1)] = this.#values[id & oldMask]!
      if (notes !== undefined) notes[id & (size - 1)] = oldNotes![id & oldMask]
    }
    this.#names = names
    this.#values = values
    this.#notes = notes
    this.#mask = size - 1
  }
}
