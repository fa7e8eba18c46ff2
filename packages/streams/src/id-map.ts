/**
 * A map from stream ids (positive integers) to objects, for the tables a connection keeps per stream.
 *
 * Why not a Map: a connection lives long, so its Map ends up in V8's old generation, while the streams it
 * holds are young. A Map rehashes as streams come and go, and the table it leaves behind still points at
 * the streams it held. The young-generation collector treats every pointer from an old object into the
 * young generation as live, without asking whether the old object is itself alive, so those dead tables
 * keep dead streams (and everything they hold: header lists, bodies, responses) alive through a scavenge
 * and into the old generation, where the next dead table holds on to the next streams. Measured on the
 * hello server under h2load: a third of all bytes allocated survived a scavenge, and scavenging took about
 * a quarter of the CPU.
 *
 * Here the table is two arrays with open addressing (linear probing, deletion by moving entries back, no
 * tombstones), so a deleted entry's slot is overwritten at once. The arrays are replaced only when the
 * table grows, and the old ones are cleared then. Lookup, insertion and deletion are O(1) on average. A peer
 * that knows the hash can pick colliding ids, but every table of a connection is bounded (concurrent streams,
 * recently reset streams), and so is the longest probe chain.
 */
export class IdMap<V> {
  /** 0 marks an empty slot: stream 0 is the connection and never a key. Empty until the first `set`. */
  #keys: number[] = []
  #values: Array<V | undefined> = []
  #mask = 0
  /** 32 - log2(capacity): the top bits of the product are the slot. */
  #shift = 32
  #size = 0
  readonly #initialCapacity: number

  /** The arrays are made on the first `set`: a connection that never opens a stream pays nothing. */
  constructor(initialCapacity = 16) {
    let capacity = 8
    while (capacity < initialCapacity) capacity *= 2
    this.#initialCapacity = capacity
  }

  get size(): number {
    return this.#size
  }

  /**
   * Fibonacci hashing (multiply by 2^32 / φ, keep the top bits). Ids come in runs (1, 3, 5…): mapped to
   * neighbouring slots they would form one long cluster, and every deletion would walk all of it.
   */
  #home(id: number): number {
    return Math.imul(id, 0x9e3779b1) >>> this.#shift
  }

  #slot(id: number): number {
    const keys = this.#keys
    let i = this.#home(id)
    for (;;) {
      const key = keys[i]!
      if (key === id || key === 0) return i
      i = (i + 1) & this.#mask
    }
  }

  get(id: number): V | undefined {
    if (this.#size === 0) return undefined
    const i = this.#slot(id)
    return this.#keys[i] === id ? this.#values[i] : undefined
  }

  has(id: number): boolean {
    return this.#size > 0 && this.#keys[this.#slot(id)] === id
  }

  set(id: number, value: V): this {
    if (!Number.isInteger(id) || id <= 0) throw new RangeError(`IdMap keys are positive integers, not ${id}`)
    if (this.#keys.length === 0) this.#resize(this.#initialCapacity)
    let i = this.#slot(id)
    if (this.#keys[i] !== id) {
      // At most half full: probes stay short.
      if ((this.#size + 1) * 2 > this.#keys.length) {
        this.#resize(this.#keys.length * 2)
        i = this.#slot(id)
      }
      this.#keys[i] = id
      this.#size++
    }
    this.#values[i] = value
    return this
  }

  delete(id: number): boolean {
    if (this.#size === 0) return false
    let hole = this.#slot(id)
    const keys = this.#keys
    const values = this.#values
    if (keys[hole] !== id) return false
    keys[hole] = 0
    values[hole] = undefined
    this.#size--
    // Move back the entries after the hole that could not sit in their home slot because of it, so a
    // lookup never stops early at an empty slot (Knuth's deletion for linear probing).
    let i = hole
    for (;;) {
      i = (i + 1) & this.#mask
      const key = keys[i]!
      if (key === 0) return true
      const home = this.#home(key)
      // The entry may move to the hole when its home is not cyclically within (hole, i].
      const between = hole < i ? home > hole && home <= i : home > hole || home <= i
      if (between) continue
      keys[hole] = key
      values[hole] = values[i]
      keys[i] = 0
      values[i] = undefined
      hole = i
    }
  }

  clear(): void {
    this.#keys.fill(0)
    this.#values.fill(undefined)
    this.#size = 0
  }

  /** The values, in ascending id order (a copy: the map may change while the caller walks it). */
  values(): V[] {
    return this.entries().map(([, value]) => value)
  }

  /** The entries, in ascending id order (a copy). */
  entries(): Array<[number, V]> {
    const out: Array<[number, V]> = []
    const keys = this.#keys
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (key !== 0) out.push([key, this.#values[i] as V])
    }
    return out.sort((a, b) => a[0] - b[0])
  }

  #resize(capacity: number): void {
    const keys = this.#keys
    const values = this.#values
    this.#keys = new Array<number>(capacity).fill(0)
    this.#values = new Array<V | undefined>(capacity).fill(undefined)
    this.#mask = capacity - 1
    this.#shift = 32 - Math.log2(capacity)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (key === 0) continue
      const j = this.#slot(key)
      this.#keys[j] = key
      this.#values[j] = values[i]
    }
    // The old array may already be in the old generation: emptied, it holds nothing young alive.
    values.fill(undefined)
  }
}
