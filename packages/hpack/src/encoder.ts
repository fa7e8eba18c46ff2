/**
 * HPACK encoder, RFC 7541 §3 and §6.
 */
import type { HeaderField } from './decoder.js'
import { ENTRY_OVERHEAD } from './dynamic-table.js'
import { EncoderTable } from './encoder-table.js'
import { huffmanEncodeInto } from './huffman.js'
import { HUFFMAN_LENGTHS } from './huffman-table.js'
import { encodeInteger } from './integer.js'
import { assertLatin1, writeLatin1 } from './latin1.js'
import { STATIC_NAME_INDEX, STATIC_PAIR_INDEX } from './static-table.js'

/** When to Huffman-code string literals: 'auto' picks whichever of the two is shorter. */
export type HuffmanMode = 'auto' | 'always' | 'never'

export interface EncoderOptions {
  /**
   * The table size both sides start with: the peer's SETTINGS_HEADER_TABLE_SIZE, default 4096 (the
   * protocol's initial value). For an HTTP/2 connection leave it at 4096 and call `setMaxTableSize` when the
   * peer's SETTINGS arrive.
   */
  maxTableSize?: number
  /**
   * The most table memory this encoder will use, whatever the peer allows (default 65536). The table is
   * min(maxTableSize, tableSizeCap); the peer's decoder holds a table of the same size, so this also
   * bounds what we ask of it.
   */
  tableSizeCap?: number
  /** Default 'auto'. */
  huffman?: HuffmanMode
  /**
   * Whether a field with no exact match in a table should be added to the dynamic table (literal with
   * incremental indexing) or sent as a literal without indexing. Called only for fields that are not
   * sensitive. Default: `defaultIndexPolicy`.
   */
  indexPolicy?: IndexPolicy
}

/** Decides whether to index a field; `tableCapacity` is the dynamic table's current maximum size. */
export type IndexPolicy = (name: string, value: string, tableCapacity: number) => boolean

const PROTOCOL_INITIAL_TABLE_SIZE = 4096
const DEFAULT_TABLE_SIZE_CAP = 65536

/**
 * Cookies shorter than this are never indexed: a short secret is the easiest to guess through the
 * compression ratio (RFC 7541 §7.1.3). Long cookies have too many possible values to be probed.
 */
const SHORT_COOKIE = 20

/**
 * Fields whose values change with nearly every message: indexing them would evict useful entries and the
 * entry would rarely be used again. (The same judgement nghttp2 makes.)
 */
const NOT_INDEXED = new Set([
  ':path',
  'age',
  'content-length',
  'etag',
  'if-modified-since',
  'if-none-match',
  'location',
  'set-cookie',
])

export class Encoder {
  readonly #table: EncoderTable
  readonly #huffman: HuffmanMode
  readonly #cap: number
  readonly #indexPolicy: IndexPolicy
  /** The table size in force after the pending updates. */
  #targetSize: number
  /** The smallest size set since the last block, which §4.2 requires be signalled first. */
  #lowestSize: number
  #updatePending = false
  #buf = new Uint8Array(4096)
  #pos = 0

  constructor(options: EncoderOptions = {}) {
    this.#huffman = options.huffman ?? 'auto'
    this.#cap = options.tableSizeCap ?? DEFAULT_TABLE_SIZE_CAP
    this.#indexPolicy = options.indexPolicy ?? defaultIndexPolicy
    checkSize('tableSizeCap', this.#cap)
    // Both sides start with this table size without signalling it (as the decoder's constructor assumes);
    // only a cap below it needs a size update, at the start of the first block.
    const initial = options.maxTableSize ?? PROTOCOL_INITIAL_TABLE_SIZE
    this.#table = new EncoderTable(initial)
    this.#targetSize = initial
    this.#lowestSize = initial
    this.setMaxTableSize(initial)
  }

  /**
   * Call with the peer's SETTINGS_HEADER_TABLE_SIZE when it changes. The next block starts with the size
   * updates that §4.2 requires: the smallest size since the previous block, then the final one.
   */
  setMaxTableSize(size: number): void {
    checkSize('maxTableSize', size)
    const effective = Math.min(size, this.#cap)
    if (effective === this.#targetSize && !this.#updatePending) return
    this.#targetSize = effective
    if (effective < this.#lowestSize) this.#lowestSize = effective
    this.#updatePending = true
  }

  /** Current size of the dynamic table (§4.1). */
  get tableSize(): number {
    return this.#table.size
  }

  /** Current maximum size of the dynamic table. */
  get tableCapacity(): number {
    return this.#table.capacity
  }

  /** Number of entries in the dynamic table. */
  get tableLength(): number {
    return this.#table.length
  }

  /**
   * Encodes one header block. Names and values are latin1 byte strings (a character above U+00FF throws a
   * TypeError). A third element `true` makes a field never-indexed (§6.2.3); `false` declares it not
   * sensitive, overriding the defaults (authorization, proxy-authorization and short cookies are
   * never indexed unless marked `false`).
   */
  encode(fields: Iterable<HeaderField>): Uint8Array {
    this.#pos = 0
    const table = this.#table
    if (this.#updatePending) {
      // §4.2: if the size changed more than once, first the smallest value, then the final one.
      if (this.#lowestSize < this.#targetSize) this.#sizeUpdate(this.#lowestSize)
      this.#sizeUpdate(this.#targetSize)
      this.#lowestSize = this.#targetSize
      this.#updatePending = false
    }
    for (const field of fields) {
      const name = field[0]
      const value = field[1]
      const sensitive = field[2] ?? defaultNeverIndex(name, value)
      this.#ensure(12)
      if (sensitive) {
        // §6.2.3: never indexed. The name may still come from a table; the value never goes into one.
        this.#literal(0x10, 4, this.#nameIndex(name), name, value)
        continue
      }
      const staticPair = STATIC_PAIR_INDEX.get(name)?.get(value)
      if (staticPair !== undefined) {
        this.#pos = encodeInteger(this.#buf, this.#pos, staticPair, 7, 0x80)
        continue
      }
      const dynamicPair = table.pairIndex(name, value)
      if (dynamicPair !== 0) {
        this.#pos = encodeInteger(this.#buf, this.#pos, dynamicPair, 7, 0x80)
        continue
      }
      const nameIndex = this.#nameIndex(name)
      if (this.#indexPolicy(name, value, table.capacity)) {
        this.#literal(0x40, 6, nameIndex, name, value) // §6.2.1
        table.add(name, value)
      } else {
        this.#literal(0x00, 4, nameIndex, name, value) // §6.2.2
      }
    }
    return this.#buf.slice(0, this.#pos)
  }

  #nameIndex(name: string): number {
    // A static index is never larger than a dynamic one, so it never encodes longer.
    return STATIC_NAME_INDEX.get(name) ?? this.#table.nameIndex(name)
  }

  #sizeUpdate(size: number): void {
    this.#ensure(6)
    this.#pos = encodeInteger(this.#buf, this.#pos, size, 5, 0x20) // §6.3
    this.#table.setCapacity(size)
  }

  #literal(pattern: number, prefixBits: number, nameIndex: number, name: string, value: string): void {
    this.#pos = encodeInteger(this.#buf, this.#pos, nameIndex, prefixBits, pattern)
    if (nameIndex === 0) this.#string(name)
    this.#string(value)
  }

  /** Writes a string literal (§5.2), Huffman-coded when that is shorter (or as the mode says). */
  #string(s: string): void {
    const length = s.length
    let huffmanLength = length + 1 // "longer than raw" when Huffman is off
    if (this.#huffman !== 'never') {
      let bits = 0
      for (let i = 0; i < length; i++) {
        const c = s.charCodeAt(i)
        if (c > 0xff) assertLatin1(s, 'header field')
        bits += HUFFMAN_LENGTHS[c]!
      }
      huffmanLength = (bits + 7) >>> 3
    } else {
      assertLatin1(s, 'header field')
    }
    const huffman = this.#huffman === 'always' || huffmanLength < length
    const encodedLength = huffman ? huffmanLength : length
    this.#ensure(encodedLength + 6)
    const buf = this.#buf
    this.#pos = encodeInteger(buf, this.#pos, encodedLength, 7, huffman ? 0x80 : 0)
    this.#pos = huffman ? huffmanEncodeInto(s, buf, this.#pos) : writeLatin1(buf, this.#pos, s)
  }

  #ensure(room: number): void {
    if (this.#pos + room <= this.#buf.length) return
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + room))
    grown.set(this.#buf.subarray(0, this.#pos))
    this.#buf = grown
  }
}

/**
 * Index a field unless its value changes with nearly every message (indexing it would evict entries that get
 * reused, for an entry that would not be), or it would take up most of the table and flush it.
 */
export function defaultIndexPolicy(name: string, value: string, tableCapacity: number): boolean {
  return !NOT_INDEXED.has(name) && name.length + value.length + ENTRY_OVERHEAD <= (tableCapacity * 3) / 4
}

/** §7.1.3: credentials are never indexed, so they cannot be probed through compression ratios. */
function defaultNeverIndex(name: string, value: string): boolean {
  return (
    name === 'authorization' ||
    name === 'proxy-authorization' ||
    (name === 'cookie' && value.length < SHORT_COOKIE)
  )
}

function checkSize(what: string, size: number): void {
  if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) {
    throw new RangeError(`${what} must be an integer from 0 to 2^32-1, got ${size}`)
  }
}
